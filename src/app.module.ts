import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AdminModule } from './admin/admin.module.js';
import { AdminUsersModule } from './admin/admin-users.module.js';
import { AdminWebhooksModule } from './admin/admin-webhooks.module.js';
import { AppController } from './app.controller.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AuthorizationModule } from './authorization/authorization.module.js';
import { ChangeFeedModule } from './platform/change-feed/change-feed.module.js';
import type { Configuration } from './config/configuration.js';
import { DatabaseModule } from './database/database.module.js';
import { DevicesRoutesModule } from './devices/devices-routes.module.js';
import { HealthModule } from './health/health.module.js';
import { OAuthModule } from './federation/oauth.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  /** The configuration is built and validated before the app exists (see main.ts). */
  static forRoot(configuration: Configuration): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [() => ({ ...configuration })],
        }),
        DatabaseModule,
        ChangeFeedModule,
        // Before AuthModule: its global guard runs first, so a refused request costs no token check.
        RateLimitModule,
        UsersModule,
        SessionsModule,
        DevicesRoutesModule,
        AuthModule,
        // After AuthModule: its permissions guard reads the principal the bearer guard sets.
        AuthorizationModule,
        AdminModule,
        HealthModule,
        AuditModule,
        AdminUsersModule,
        OAuthModule,
        AdminWebhooksModule,
      ],
      controllers: [AppController],
    };
  }
}
