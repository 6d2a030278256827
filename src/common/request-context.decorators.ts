import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientOf, type ClientInfo } from './http/client-address.js';
import type { User } from '../users/entities/user.entity.js';
import type { Principal } from '../tokens/access-token.js';

type AuthenticatedRequest = FastifyRequest & { user?: unknown };

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

/** Device, address and request id, recorded on sessions and security events. */
export const RequestClient = createParamDecorator(
  (_: unknown, context: ExecutionContext): ClientInfo =>
    clientOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
