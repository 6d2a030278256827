import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { whenReady, type MaybePromise } from '../../platform/maybe-promise.js';
import { IS_PUBLIC_KEY } from '../../common/public.decorator.js';
import { AccessTokenVerifier } from '../../tokens/access-token-verifier.js';
import { bearerTokenOf, type Principal, type VerifiedClaims } from '../../tokens/access-token.js';
import { AuthenticationRequiredError } from '../../tokens/tokens.errors.js';
import { AuthService } from '../auth.service.js';
import { VerifiedAccessTokens } from '../../tokens/verified-access-tokens.js';

/**
 * Global (APP_GUARD): every route needs a valid access token unless marked @Public().
 * A token is verified (AccessTokenVerifier) the first time; while it stays unexpired, later
 * requests with it reuse that verification and go straight to the checks that can change
 * (session revoked, account disabled), which run on every request.
 *
 * Not Passport's JWT strategy any more: passport-jwt verifies through jsonwebtoken, which has
 * no EdDSA (issue #22), and the guard already bypassed Passport for every remembered token.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  /** Whether each route is @Public(); worked out once a route. */
  private readonly publicByHandler = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly verifiedTokens: VerifiedAccessTokens,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  /** Synchronous for a remembered token whose session and user are known in memory. */
  canActivate(context: ExecutionContext): MaybePromise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: unknown }>();
    const token = bearerTokenOf(request);
    if (!token) throw new AuthenticationRequiredError();
    const verified = this.verifiedTokens.recall(token);
    const principal = verified
      ? this.auth.authenticateAgain(verified)
      : this.authenticateFirstTime(token);
    return whenReady(principal, (found) => {
      request.user = found;
      return true;
    });
  }

  private async authenticateFirstTime(token: string): Promise<Principal> {
    const { claims, kid } = await this.verifier.verify(token);
    // Refuses, among others, a token without exp or iat, which jose lets through; past it, the
    // claims have the shapes VerifiedClaims names.
    const principal = await this.auth.authenticate(claims);
    this.verifiedTokens.remember(token, claims as Partial<VerifiedClaims> as VerifiedClaims, kid);
    return principal;
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
}
