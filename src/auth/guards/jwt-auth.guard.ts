import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '../../common/public.decorator.js';
import { AuthenticationRequiredError, InvalidAccessTokenError } from '../auth.errors.js';

/** Global (APP_GUARD): every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic ? true : super.canActivate(context);
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
