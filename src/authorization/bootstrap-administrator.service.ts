import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService } from '../audit/audit.service.js';
import type { Configuration } from '../config/configuration.js';
import { ChangeFeedService } from '../platform/change-feed/change-feed.service.js';
import { User } from '../users/entities/user.entity.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import { AuthorizationService, ROLES_TOPIC } from './authorization.service.js';
import { ADMIN_ROLE } from './permissions.js';

/**
 * BOOTSTRAP_ADMIN_EMAIL (issue #19): while no active account holds `admin`, the verified,
 * active account with that email becomes an administrator, at start-up or as soon as it
 * verifies the address. Never otherwise: once anyone is administrator, the variable is inert.
 */
@Injectable()
export class BootstrapAdministratorService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdministratorService.name);
  private readonly email: string | undefined;

  constructor(
    private readonly feed: ChangeFeedService,
    private readonly audit: AuditService,
    private readonly authorization: AuthorizationService,
    config: ConfigService<Configuration, true>,
  ) {
    const email = config.get('authorization', { infer: true }).bootstrapAdminEmail;
    this.email = email ? loginLookupKey(email) : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.email) await this.promoteIfNoAdministrator();
  }

  /** Called by the account flows once an address is proven; only the configured one counts. */
  async emailVerified(email: string): Promise<void> {
    if (this.email && loginLookupKey(email) === this.email) await this.promoteIfNoAdministrator();
  }

  /**
   * The admin role row is locked as the last-administrator rule locks it, so instances
   * starting together grant it once.
   */
  private async promoteIfNoAdministrator(): Promise<void> {
    const promoted = await this.feed.transaction(async (manager, announce) => {
      const [admin] = await manager.query<{ id: string }[]>(
        'SELECT id FROM roles WHERE name = $1 FOR UPDATE',
        [ADMIN_ROLE],
      );
      if (!admin) return undefined;
      const [held] = await manager.query<unknown[]>(
        `SELECT 1 FROM user_roles ur JOIN users u ON u.id = ur.user_id
         WHERE ur.role_id = $1 AND u.is_active LIMIT 1`,
        [admin.id],
      );
      if (held) return undefined;
      const user = await manager.findOneBy(User, {
        email: this.email,
        emailVerified: true,
        isActive: true,
      });
      if (!user) return undefined;
      const rolesHeld = await manager.query<{ name: string }[]>(
        `SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         WHERE ur.user_id = $1 ORDER BY r.name`,
        [user.id],
      );
      const before = rolesHeld.map(({ name }) => name);
      await manager.query(
        'INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [user.id, admin.id],
      );
      const after = [...new Set([...before, ADMIN_ROLE])].sort();
      this.authorization.recordRoles(manager, user.id, after);
      await announce(ROLES_TOPIC, [user.id]);
      // A grant like any other: in the audit log, and shown to the account (issue #19 review).
      await this.audit.record(
        {
          actor: { userId: null, label: 'system' },
          action: 'user.roles_changed',
          target: { type: 'user', id: user.id },
          before: { roles: before },
          after: { roles: after },
          reason: 'BOOTSTRAP_ADMIN_EMAIL: no active administrator',
          userEvent: 'roles_changed',
        },
        manager,
      );
      return user;
    });
    if (promoted) {
      this.logger.warn(
        `BOOTSTRAP_ADMIN_EMAIL: ${promoted.username} (${promoted.id}) is now an administrator; no other active account was`,
      );
    }
  }
}
