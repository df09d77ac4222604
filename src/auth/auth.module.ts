import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../config/app-config';
import { User } from '../users/user.entity';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CLOCK_TOLERANCE_SECONDS, JwtStrategy, VERIFIED_TOKENS_KEPT } from './jwt.strategy';
import { LimitsRedis } from './limits-redis';
import { LoginAttempts } from './login-attempts';
import { PasswordHasher } from './password-hasher';
import { VerifiedTokens } from './verified-tokens';

@Module({
  imports: [
    MikroOrmModule.forFeature([User]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: Buffer.from(config.jwt.secret, 'utf8'),
        signOptions: {
          algorithm: 'HS256',
          expiresIn: config.jwt.expiresInSeconds,
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    JwtStrategy,
    PasswordHasher,
    LimitsRedis,
    LoginAttempts,
    { provide: VerifiedTokens, useFactory: () => new VerifiedTokens(VERIFIED_TOKENS_KEPT, CLOCK_TOLERANCE_SECONDS) },
  ],
  // for the users service: deleting an account forgets its tokens
  exports: [VerifiedTokens],
})
export class AuthModule {}
