import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { whenReady, type MaybePromise } from '../platform/maybe-promise.js';
import type { Principal } from '../tokens/access-token.js';
import { AuthenticationRequiredError } from '../tokens/tokens.errors.js';
import { MissingPermissionError } from './authorization.errors.js';
import { AuthorizationService } from './authorization.service.js';
import type { Permission } from './permissions.js';
import { REQUIRED_PERMISSIONS_KEY } from './require-permissions.decorator.js';

/**
 * Global (APP_GUARD, registered after the bearer guard): a route marked @RequirePermissions
 * answers 403 `forbidden`, naming the first missing permission, unless the caller's roles
 * grant them all. Permissions come from AuthorizationService (memory kept current by the
 * change feed), never from a token claim. Metadata is read once per handler, so a route
 * without requirements (GET /auth/me) costs one WeakMap lookup.
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  private readonly requiredByHandler = new WeakMap<object, readonly Permission[]>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authorization: AuthorizationService,
  ) {}

  canActivate(context: ExecutionContext): MaybePromise<boolean> {
    const required = this.requiredFor(context);
    if (required.length === 0) return true;
    const principal = context
      .switchToHttp()
      .getRequest<FastifyRequest & { user?: Principal }>().user;
    // A route both @Public() and @RequirePermissions() would be a mistake: refuse it.
    if (!principal) throw new AuthenticationRequiredError();
    return whenReady(this.authorization.grantsOf(principal.userId), ({ permissions }) => {
      const missing = required.find((permission) => !permissions.has(permission));
      if (missing !== undefined) throw new MissingPermissionError(missing);
      return true;
    });
  }

  /** Class and handler requirements add up: both must be met. */
  private requiredFor(context: ExecutionContext): readonly Permission[] {
    const handler = context.getHandler();
    let required = this.requiredByHandler.get(handler);
    if (required === undefined) {
      required = [
        ...new Set(
          this.reflector.getAllAndMerge<Permission[]>(REQUIRED_PERMISSIONS_KEY, [
            handler,
            context.getClass(),
          ]),
        ),
      ];
      this.requiredByHandler.set(handler, required);
    }
    return required;
  }
}
