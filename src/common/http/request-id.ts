import type { IncomingHttpHeaders } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * A caller's own X-Request-Id, kept beside the service's id for correlation (issue #18 point
 * 11): at most 128 characters, each an RFC 9110 token character or `:`, `/`, `=` (UUIDs,
 * W3C trace ids, base64). Anything else is dropped whole rather than trimmed: a rewritten id
 * would point at some other request.
 */
const CLIENT_REQUEST_ID = /^[-!#$%&'*+.^_`|~0-9A-Za-z:/=]{1,128}$/;

export function clientRequestIdOf(headers: IncomingHttpHeaders): string | undefined {
  const given = headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : undefined;
}
