import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../config/app-config';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DeletedAccountCheck } from './deleted-account-check';
import { JwtStrategy } from './jwt.strategy';
import { LoginAttempts } from './login-attempts';
import { PasswordHasher } from './password-hasher';

@Module({
  imports: [
    UsersModule,
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
  providers: [AuthService, JwtStrategy, PasswordHasher, LoginAttempts, DeletedAccountCheck],
  // for the tasks service and the exception filter, which turn a deleted account's answers into 401
  exports: [DeletedAccountCheck],
})
export class AuthModule {}
