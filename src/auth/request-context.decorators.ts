import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientAddressOf } from '../common/http/client-address.js';
import type { ClientInfo } from '../sessions/sessions.service.js';
import type { User } from '../users/entities/user.entity.js';
import type { Principal } from './access-token.js';

type AuthenticatedRequest = FastifyRequest & { user?: unknown };

const MAX_USER_AGENT_LENGTH = 512;

/** The bearer token's principal, put there by JwtAuthGuard. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().user as Principal,
);

/** The user whose credentials LocalAuthGuard just checked. */
export const LoggedInUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().user as User,
);

/** Device and address, recorded on the session for the user's session list. */
export const RequestClient = createParamDecorator(
  (_: unknown, context: ExecutionContext): ClientInfo => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const userAgent = request.headers['user-agent'];
    return {
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
      ipAddress: clientAddressOf(request),
    };
  },
);
