import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import {
  checkedLookup,
  DestinationRefusedError,
  hostOf,
  refusesAddress,
} from './webhook-destination.js';

/** One signed message, as the Standard Webhooks specification shapes it. */
export interface SignedMessage {
  /** `webhook-id`: the event's id, the same on every attempt. */
  id: string;
  /** The JSON body, signed byte for byte. */
  body: string;
  /** Every secret valid now: during a rotation's overlap, the new one and the old one. */
  secrets: string[];
}

export interface SendOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
}

/** What an attempt came to; `error` is a few words for the deliveries list, never a body. */
export type SendOutcome =
  { delivered: true; status: number } | { delivered: false; status: number | null; error: string };

const USER_AGENT = 'Whazz-Audio-Webhooks/1';

/**
 * `webhook-signature`: one `v1,<base64>` per secret, space-separated, which the specification
 * allows so that receivers holding either secret accept it during a rotation.
 */
export function signatureHeader(message: SignedMessage, timestamp: Date): string {
  return message.secrets
    .map((secret) => new Webhook(secret).sign(message.id, timestamp, message.body))
    .join(' ');
}

/**
 * POSTs `message` once: no redirect followed (a 3xx is a failure), at most `timeoutMs`, and
 * unless allowed no private or loopback destination, never a link-local one, checked on the
 * very address the socket connects to. Only the status is read; the body is discarded.
 */
export function sendWebhook(
  url: string,
  message: SignedMessage,
  options: SendOptions,
): Promise<SendOutcome> {
  try {
    return post(url, message, options);
  } catch (error) {
    // A URL that does not parse, a header Node refuses: a failed attempt, never a throw
    // that leaves the delivery's lease held (issue #22 review).
    return Promise.resolve({
      delivered: false,
      status: null,
      error: describe(error instanceof Error ? error : new Error(String(error))),
    });
  }
}

function post(url: string, message: SignedMessage, options: SendOptions): Promise<SendOutcome> {
  const target = new URL(url);
  const host = hostOf(target);
  const refuses = refusesAddress(options.allowPrivateNetworks);
  if (isIP(host) && refuses(host)) {
    return Promise.resolve(refused(new DestinationRefusedError(host)));
  }
  const timestamp = new Date(Math.floor(Date.now() / 1000) * 1000);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendOutcome>((resolve) => {
    const outgoing = request(
      target,
      {
        method: 'POST',
        agent: false,
        timeout: options.timeoutMs,
        signal: AbortSignal.timeout(options.timeoutMs),
        lookup: checkedLookup(refuses),
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp.getTime() / 1000),
          'webhook-signature': signatureHeader(message, timestamp),
        },
      },
      (response: IncomingMessage) => {
        response.resume();
        response.destroy();
        resolve(outcomeOf(response.statusCode ?? 0));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', (error: Error) => {
      if (error instanceof DestinationRefusedError) resolve(refused(error));
      else resolve({ delivered: false, status: null, error: describe(error) });
    });
    outgoing.end(message.body);
  });
}

function outcomeOf(status: number): SendOutcome {
  if (status >= 200 && status < 300) return { delivered: true, status };
  if (status >= 300 && status < 400) {
    return { delivered: false, status, error: 'redirect not followed' };
  }
  return { delivered: false, status, error: `answered ${status}` };
}

function refused(error: DestinationRefusedError): SendOutcome {
  return { delivered: false, status: null, error: error.message };
}

function describe(error: Error): string {
  if (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    error.message === 'timed out'
  ) {
    return 'timed out';
  }
  const code = (error as NodeJS.ErrnoException).code;
  return (code ? `${code}: ${error.message}` : error.message).slice(0, 200);
}
