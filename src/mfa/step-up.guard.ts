import {
  applyDecorators,
  Injectable,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator.js';
import { clientOf } from '../common/http/client-address.js';
import type { Principal } from '../tokens/access-token.js';
import { AuthenticationRequiredError } from '../tokens/tokens.errors.js';
import { SecondFactorService } from './second-factor.service.js';

/** How long a login with a second factor vouches for sensitive changes (issue #20). */
export const STEP_UP_WINDOW_SECONDS = 5 * 60;
export const STEP_UP_HEADER = 'x-mfa-code';

/** Signed in with a second factor (`amr` has `otp`) within the window: nothing to ask. */
export function hasRecentSecondFactor(principal: Principal, nowSeconds = Date.now() / 1000) {
  return (
    principal.authMethods.includes('otp') &&
    principal.authTime !== undefined &&
    nowSeconds - principal.authTime <= STEP_UP_WINDOW_SECONDS
  );
}

/**
 * Signed in (by any method, not refreshed into) within the window: what confirms a change for
 * an account with no password to confirm it with (issue #21 review).
 */
export function hasRecentSignIn(principal: Principal, nowSeconds = Date.now() / 1000) {
  return (
    principal.authTime !== undefined && nowSeconds - principal.authTime <= STEP_UP_WINDOW_SECONDS
  );
}

/**
 * Runs after the global guards (it needs their principal). Accounts without a second factor
 * pass; the others pass with a recent second-factor login, or a code in `X-MFA-Code` checked
 * (and counted) like any other.
 */
@Injectable()
export class StepUpGuard implements CanActivate {
  constructor(private readonly secondFactor: SecondFactorService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Principal }>();
    const principal = request.user;
    if (!principal) throw new AuthenticationRequiredError();
    if (hasRecentSecondFactor(principal)) return true;
    const header = request.headers[STEP_UP_HEADER];
    const presented = typeof header === 'string' ? header.trim() : undefined;
    await this.secondFactor.stepUp(principal.user, presented, clientOf(request));
    return true;
  }
}

/**
 * A change a stolen session alone must not make: for an account with a second factor, it
 * needs one within the last 5 minutes (403 `step-up-required`, `wrong-mfa-code`).
 */
export function RequireRecentSecondFactor(): MethodDecorator {
  return applyDecorators(
    UseGuards(StepUpGuard),
    ApiHeader({
      name: 'X-MFA-Code',
      required: false,
      description:
        'For an account with two-step verification whose token is not from a login with it in the last 5 minutes: a current code from the app, or a recovery code (spent).',
    }),
    ApiProblemResponses(403),
  );
}
