import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/**
 * The client's address: `request.ip` (from X-Forwarded-For when TRUST_PROXY says so) if it
 * is an IP address, else the socket's. A proxy that passes a forged header through could
 * otherwise put any string where limits, sessions and security events expect an address.
 */
export function clientAddressOf(request: FastifyRequest): string {
  if (isIP(request.ip)) return request.ip;
  return request.socket.remoteAddress ?? 'unknown';
}
