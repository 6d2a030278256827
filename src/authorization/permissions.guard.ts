import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { whenReady, type MaybePromise } from '../platform/maybe-promise.js';
import type { Principal } from '../tokens/access-token.js';
import { AuthenticationRequiredError } from '../tokens/tokens.errors.js';
import { ImpersonationForbiddenError, MissingPermissionError } from './authorization.errors.js';
import { AuthorizationService } from './authorization.service.js';
import { NOT_WHILE_IMPERSONATING_KEY } from './not-while-impersonating.decorator.js';
import type { Permission } from './permissions.js';
import { REQUIRED_PERMISSIONS_KEY } from './require-permissions.decorator.js';

/** What a route asks of its caller, read once from its metadata. */
interface RouteRule {
  required: readonly Permission[];
  /** Refused to impersonated sessions, and what to call it; null when allowed. */
  refusedWhileImpersonating: string | null;
}

/** Routes needing a permission are the administration API: no impersonated session gets in. */
const ADMINISTRATION = 'use the administration API';

/**
 * Global (APP_GUARD, registered after the bearer guard): a route marked @RequirePermissions
 * answers 403 `forbidden`, naming the first missing permission, unless the caller's roles
 * grant them all. Permissions come from AuthorizationService (memory kept current by the
 * change feed), never from a token claim. A session an administrator opened as the user
 * (issue #19) is refused such routes, and those marked @NotWhileImpersonating, with 403
 * `impersonation-forbidden`. Metadata is read once per handler, so a route without
 * requirements (GET /auth/me) costs one WeakMap lookup.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  private readonly ruleByHandler = new WeakMap<object, RouteRule>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authorization: AuthorizationService,
  ) {}

  canActivate(context: ExecutionContext): MaybePromise<boolean> {
    const { required, refusedWhileImpersonating } = this.ruleFor(context);
    if (required.length === 0 && refusedWhileImpersonating === null) return true;
    const principal = context
      .switchToHttp()
      .getRequest<FastifyRequest & { user?: Principal }>().user;
    // A route both @Public() and @RequirePermissions() would be a mistake: refuse it.
    if (!principal) throw new AuthenticationRequiredError();
    if (principal.actor !== undefined && refusedWhileImpersonating !== null) {
      throw new ImpersonationForbiddenError(refusedWhileImpersonating);
    }
    if (required.length === 0) return true;
    return whenReady(this.authorization.grantsOf(principal.userId), ({ permissions }) => {
      const missing = required.find((permission) => !permissions.has(permission));
      if (missing !== undefined) throw new MissingPermissionError(missing);
      return true;
    });
  }

  /** Class and handler requirements add up: both must be met. */
  private ruleFor(context: ExecutionContext): RouteRule {
    const handler = context.getHandler();
    let rule = this.ruleByHandler.get(handler);
    if (rule === undefined) {
      const targets = [handler, context.getClass()];
      const required = [
        ...new Set(this.reflector.getAllAndMerge<Permission[]>(REQUIRED_PERMISSIONS_KEY, targets)),
      ];
      const marked = this.reflector.getAllAndOverride<string | undefined>(
        NOT_WHILE_IMPERSONATING_KEY,
        targets,
      );
      rule = {
        required,
        refusedWhileImpersonating: marked ?? (required.length > 0 ? ADMINISTRATION : null),
      };
      this.ruleByHandler.set(handler, rule);
    }
    return rule;
  }
}
