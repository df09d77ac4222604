import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { OwnerFilterInterceptor } from './database/owner-filter.interceptor';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { RequestValidationPipe } from './validation/validation.pipe';
import { TasksModule } from './tasks/tasks.module';
import { UsersModule } from './users/users.module';

/**
 * The whole application for one validated configuration. The request pipeline is registered here
 * (not in main.ts) so the e2e tests run exactly what production runs:
 * MikroORM request context (a Fastify onRequest hook, configure-app.ts) -> JWT guard -> owner filter interceptor ->
 * validation pipe -> handler; errors -> ProblemDetailsFilter.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        DatabaseModule.forRoot(config),
        HealthModule,
        AuthModule,
        UsersModule,
        TasksModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: OwnerFilterInterceptor },
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
