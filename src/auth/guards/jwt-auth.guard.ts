import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { whenReady, type MaybePromise } from '../../platform/maybe-promise.js';
import { IS_PUBLIC_KEY } from '../../common/public.decorator.js';
import { AccessTokenVerifier } from '../../tokens/access-token-verifier.js';
import { bearerTokenOf, type Principal, type VerifiedClaims } from '../../tokens/access-token.js';
import {
  AuthenticationRequiredError,
  InvalidAccessTokenError,
} from '../../tokens/tokens.errors.js';
import { MfaEnrolmentRequiredError } from '../../mfa/mfa.errors.js';
import { OPEN_BEFORE_MFA_ENROLMENT_KEY } from '../../mfa/open-before-mfa-enrolment.decorator.js';
import { AuthService } from '../auth.service.js';
import { VerifiedAccessTokens } from '../../tokens/verified-access-tokens.js';

/** What the guard asks of a route, read once from its metadata. */
interface RouteAccess {
  isPublic: boolean;
  /** Reachable by a session limited to second-factor enrolment (issue #20). */
  openBeforeMfaEnrolment: boolean;
}

/**
 * Global (APP_GUARD): every route needs a valid access token unless marked @Public().
 * A token is verified (AccessTokenVerifier) the first time; while it stays unexpired, later
 * requests with it reuse that verification and go straight to the checks that can change
 * (session revoked, account disabled), which run on every request. A token that must enrol a
 * second factor first (its `mfa_enrolment_required` claim) reaches only the routes marked
 * @OpenBeforeMfaEnrolment(): a claim and a flag, no database read.
 *
 * Not Passport's JWT strategy any more: passport-jwt verifies through jsonwebtoken, which has
 * no EdDSA (issue #22), and the guard already bypassed Passport for every remembered token.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  /** Each route's access rule; worked out once a route. */
  private readonly accessByHandler = new WeakMap<object, RouteAccess>();

  /**
   * First verifications in flight, by token. A burst of requests with a token this instance
   * has not seen yet (every client just after a deploy or a restart) verifies it and reads its
   * session once; without this, each request of the burst queued its own database reads.
   */
  private readonly firstVerifications = new Map<string, Promise<Principal>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly verifiedTokens: VerifiedAccessTokens,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  /** Synchronous for a remembered token whose session and user are known in memory. */
  canActivate(context: ExecutionContext): MaybePromise<boolean> {
    const access = this.accessOf(context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: unknown }>();
    const token = bearerTokenOf(request);
    if (!token) throw new AuthenticationRequiredError();
    const verified = this.verifiedTokens.recall(token);
    const principal = verified
      ? this.auth.authenticateAgain(verified)
      : this.authenticateFirstTime(token);
    return whenReady(principal, (found) => {
      request.user = found;
      return admit(access, found);
    });
  }

  private authenticateFirstTime(token: string): Promise<Principal> {
    const inFlight = this.firstVerifications.get(token);
    if (inFlight) return inFlight;
    const verification = this.verifyFirstTime(token).finally(() =>
      this.firstVerifications.delete(token),
    );
    this.firstVerifications.set(token, verification);
    return verification;
  }

  private async verifyFirstTime(token: string): Promise<Principal> {
    const { claims, kid } = await this.verifier.verify(token);
    // Refuses, among others, a token without exp or iat, which jose lets through; past it, the
    // claims have the shapes VerifiedClaims names.
    const principal = await this.auth.authenticate(claims);
    // Its key retired while the session was read: refused, as it would be a moment later.
    if (!this.verifier.stillPublished(kid)) throw new InvalidAccessTokenError();
    this.verifiedTokens.remember(token, claims as Partial<VerifiedClaims> as VerifiedClaims, kid);
    return principal;
  }

  private accessOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.accessByHandler.get(handler);
    if (access === undefined) {
      const targets = [handler, context.getClass()];
      access = {
        isPublic: Boolean(this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)),
        openBeforeMfaEnrolment: Boolean(
          this.reflector.getAllAndOverride<boolean>(OPEN_BEFORE_MFA_ENROLMENT_KEY, targets),
        ),
      };
      this.accessByHandler.set(handler, access);
    }
    return access;
  }
}

function admit(access: RouteAccess, principal: Principal): true {
  if (principal.mfaEnrolmentRequired && !access.openBeforeMfaEnrolment) {
    throw new MfaEnrolmentRequiredError();
  }
  return true;
}
