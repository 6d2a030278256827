import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { whenReady, type MaybePromise } from '../../platform/maybe-promise.js';
import { IS_PUBLIC_KEY } from '../../common/public.decorator.js';
import { bearerTokenOf, type Principal } from '../../tokens/access-token.js';
import { MfaEnrolmentRequiredError } from '../../mfa/mfa.errors.js';
import { OPEN_BEFORE_MFA_ENROLMENT_KEY } from '../../mfa/open-before-mfa-enrolment.decorator.js';
import {
  AuthenticationRequiredError,
  InvalidAccessTokenError,
} from '../../tokens/tokens.errors.js';
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
 * A token is verified by Passport's JWT strategy the first time; while it stays unexpired,
 * later requests with it reuse that verification and go straight to the checks that can
 * change (session revoked, account disabled), which run on every request. A token that must
 * enrol a second factor first (its `mfa_enrolment_required` claim) reaches only the routes
 * marked @OpenBeforeMfaEnrolment(): a claim and a flag, no database read.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  /** Each route's access rule; worked out once a route. */
  private readonly accessByHandler = new WeakMap<object, RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly verifiedTokens: VerifiedAccessTokens,
  ) {
    super();
  }

  /** Synchronous for a remembered token whose session and user are known in memory. */
  override canActivate(context: ExecutionContext): MaybePromise<boolean> {
    const access = this.accessOf(context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const token = bearerTokenOf(request);
    const verified = token ? this.verifiedTokens.recall(token) : undefined;
    if (!verified) {
      return (super.canActivate(context) as Promise<boolean>).then(() =>
        admit(access, request.user),
      );
    }
    return whenReady(this.auth.authenticateAgain(verified), (principal) => {
      request.user = principal;
      return admit(access, principal);
    });
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

function admit(access: RouteAccess, principal: Principal | undefined): true {
  if (principal?.mfaEnrolmentRequired && !access.openBeforeMfaEnrolment) {
    throw new MfaEnrolmentRequiredError();
  }
  return true;
}
