import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProblemException } from './problem.exception.js';

/** A page cursor that was not issued by this service for this listing (issue #19). */
export class InvalidCursorError extends ProblemException {
  constructor() {
    super({
      status: 400,
      code: 'invalid-cursor',
      title: 'Bad Request',
      detail:
        'The cursor is not a next_cursor this listing returned, or was issued for other filters or another sort order.',
      errors: [{ field: 'cursor', message: 'must be a next_cursor from a previous page' }],
    });
  }
}

const MAX_CURSOR_LENGTH = 1024;

/**
 * Opaque page cursors: `<payload>.<HMAC-SHA256>`, both base64url. The signature lets the
 * service put sort keys (and the filters they belong to) in the cursor without trusting the
 * client with them: an edited cursor is a 400, never a query on values it chose.
 * `purpose` separates listings, so a cursor from one is refused by the other.
 */
export class SignedCursorCodec<Payload> {
  private readonly key: Buffer;

  constructor(
    secret: string,
    purpose: string,
    private readonly isPayload: (value: unknown) => value is Payload,
  ) {
    // A key of its own, derived from the secret: a cursor can never pass for a token.
    this.key = createHmac('sha256', secret).update(`whazz-auth/page-cursor/${purpose}`).digest();
  }

  encode(payload: Payload): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.sign(body).toString('base64url')}`;
  }

  /** The payload, or InvalidCursorError for anything this codec did not sign. */
  decode(cursor: string): Payload {
    if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError();
    const [body, signature, extra] = cursor.split('.');
    if (!body || !signature || extra !== undefined) throw new InvalidCursorError();
    const expected = this.sign(body);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidCursorError();
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError();
    }
    if (!this.isPayload(payload)) throw new InvalidCursorError();
    return payload;
  }

  private sign(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
