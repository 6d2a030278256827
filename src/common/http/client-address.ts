import type { FastifyRequest } from 'fastify';
import { canonicalIpAddress } from './ip-address.js';

/**
 * The client's address: `request.ip` (from X-Forwarded-For when TRUST_PROXY says so) if it
 * is an IP address, else the socket's. A proxy that passes a forged header through could
 * otherwise put any string where limits, sessions and security events expect an address.
 * Either way in its one canonical spelling: `::ffff:198.51.100.7` is `198.51.100.7`.
 */
export function clientAddressOf(request: FastifyRequest): string {
  const address =
    canonicalIpAddress(request.ip) ?? canonicalIpAddress(request.socket.remoteAddress ?? '');
  return address ?? 'unknown';
}

// The column size of sessions.user_agent and security_events.user_agent.
const MAX_USER_AGENT_LENGTH = 512;

/** Who is calling, as sessions and security events record it. */
export interface ClientInfo {
  /** The request's id (X-Request-Id), which its log line carries too. */
  requestId: string;
  ipAddress: string;
  userAgent: string | null;
}

/**
 * Handed to services explicitly (controllers take it with `@RequestClient()`) rather than kept
 * in AsyncLocalStorage: its promise hooks cost every request a quarter of its CPU (issue #3).
 */
export function clientOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    requestId: request.id,
    ipAddress: clientAddressOf(request),
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
  };
}
