import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { whenReady, type MaybePromise } from '../../platform/maybe-promise.js';
import { IS_PUBLIC_KEY } from '../../common/public.decorator.js';
import { bearerTokenOf } from '../../tokens/access-token.js';
import {
  AuthenticationRequiredError,
  InvalidAccessTokenError,
} from '../../tokens/tokens.errors.js';
import { AuthService } from '../auth.service.js';
import { VerifiedAccessTokens } from '../../tokens/verified-access-tokens.js';

/**
 * Global (APP_GUARD): every route needs a valid access token unless marked @Public().
 * A token is verified by Passport's JWT strategy the first time; while it stays unexpired,
 * later requests with it reuse that verification and go straight to the checks that can
 * change (session revoked, account disabled), which run on every request.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  /** Whether each route is @Public(); worked out once a route. */
  private readonly publicByHandler = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly verifiedTokens: VerifiedAccessTokens,
  ) {
    super();
  }

  /** Synchronous for a remembered token whose session and user are known in memory. */
  override canActivate(context: ExecutionContext): MaybePromise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: unknown }>();
    const token = bearerTokenOf(request);
    const verified = token ? this.verifiedTokens.recall(token) : undefined;
    if (!verified) return super.canActivate(context) as Promise<boolean>;
    return whenReady(this.auth.authenticateAgain(verified), (principal) => {
      request.user = principal;
      return true;
    });
  }

  private isPublic(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let isPublic = this.publicByHandler.get(handler);
    if (isPublic === undefined) {
      isPublic = Boolean(
        this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, context.getClass()]),
      );
      this.publicByHandler.set(handler, isPublic);
    }
    return isPublic;
  }

  override handleRequest<TUser>(error: unknown, principal: TUser | false, info: unknown): TUser {
    if (error)
      throw error instanceof Error
        ? error
        : new Error('Passport reported a failure that is not an Error');
    if (principal) return principal;
    throw describeTokenFailure(info);
  }
}

function describeTokenFailure(info: unknown): Error {
  const name = info instanceof Error ? info.name : undefined;
  if (name === 'TokenExpiredError')
    return new InvalidAccessTokenError('The access token has expired.');
  if (name === 'NotBeforeError')
    return new InvalidAccessTokenError('The access token is not valid yet.');
  if (name === 'JsonWebTokenError') return new InvalidAccessTokenError();
  return new AuthenticationRequiredError();
}
