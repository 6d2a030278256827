import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthorizationService } from '../authorization/authorization.service.js';
import { ADMIN_ROLE } from '../authorization/permissions.js';
import type { Configuration } from '../config/configuration.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { TokenService } from '../tokens/token.service.js';
import { AdminUserChangesService, type AdminRequest } from './admin-user-changes.service.js';
import {
  AdministratorImpersonationError,
  SelfImpersonationError,
  UserDisabledError,
} from './admin-users.errors.js';

export interface ImpersonationTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * Support acting as a user (issue #19): a new session of the user, marked as the
 * administrator's, that ends IMPERSONATION_MAX_MINUTES after it starts; its access tokens
 * carry the RFC 8693 `act` claim. Opened and audited in one transaction, the target's row
 * locked, so a concurrent disable or role grant is either seen or waits.
 */
@Injectable()
export class AdminImpersonationService {
  private readonly lifetimeSeconds: number;

  constructor(
    private readonly changes: AdminUserChangesService,
    private readonly sessions: SessionsService,
    private readonly authorization: AuthorizationService,
    private readonly tokens: TokenService,
    config: ConfigService<Configuration, true>,
  ) {
    this.lifetimeSeconds = config.get('impersonation', { infer: true }).maxSeconds;
  }

  async impersonate(
    request: AdminRequest,
    id: string,
    reason: string,
  ): Promise<ImpersonationTokens> {
    const administratorId = request.principal.userId;
    if (id === administratorId) throw new SelfImpersonationError();
    const { session, refreshToken } = await this.changes.within(
      request,
      async ({ manager }, record) => {
        // Its own type first; then, as every admin action, no account that outranks the agent.
        if (await this.authorization.hasRole(id, ADMIN_ROLE, manager)) {
          throw new AdministratorImpersonationError();
        }
        const user = await this.changes.lock(manager, id, request);
        if (!user.isActive) throw new UserDisabledError();
        const { userAgent, ipAddress } = request.client;
        const issued = await this.sessions.startImpersonation(
          manager,
          id,
          administratorId,
          { userAgent, ipAddress },
          this.lifetimeSeconds,
        );
        await record('user.impersonated', id, {
          after: {
            session_id: issued.session.id,
            expires_at: issued.session.expiresAt.toISOString(),
          },
          reason,
          userEvent: 'impersonated_by_administrator',
        });
        return issued;
      },
    );
    const roles = await this.authorization.rolesOf(id);
    const signIn = { methods: session.authMethods, at: session.authenticatedAt };
    const { accessToken, expiresIn } = await this.tokens.issueAccessToken(
      id,
      session.id,
      roles,
      signIn,
      {
        actorId: administratorId,
        endsAt: session.expiresAt,
      },
    );
    return { accessToken, refreshToken, expiresIn };
  }
}
