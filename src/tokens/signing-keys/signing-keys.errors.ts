import { ProblemException } from '../../common/problem.exception.js';

export class SigningKeyNotFoundError extends ProblemException {
  constructor() {
    super({
      status: 404,
      code: 'signing-key-not-found',
      title: 'Not Found',
      detail: 'No published signing key has this kid.',
    });
  }
}

/** Retiring the key that signs would leave nothing to sign with: rotate first. */
export class SigningKeyInUseError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'signing-key-in-use',
      title: 'Conflict',
      detail: 'This key signs the access tokens issued now: rotate first, then retire it.',
    });
  }
}

/** A key to import that cannot sign here (wrong type, public only, unreadable): says which. */
export class KeyImportRefusedError extends ProblemException {
  constructor(detail: string) {
    super({
      status: 422,
      code: 'signing-key-import-refused',
      title: 'Unprocessable Content',
      detail,
    });
  }
}

/** The imported key is in the table already (same public key, so same kid), maybe retired. */
export class SigningKeyExistsError extends ProblemException {
  constructor(kid: string) {
    super({
      status: 409,
      code: 'signing-key-exists',
      title: 'Conflict',
      detail: `This key is already in the store as ${kid}; a retired key is never published again.`,
    });
  }
}

/** One rotation at a time: the key published last has not begun signing yet. */
export class RotationPendingError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'rotation-pending',
      title: 'Conflict',
      detail: 'A new key is published and not signing yet; rotate again once it signs.',
    });
  }
}

/** With JWT_SIGNING_ALGORITHM=HS256 the secret signs: there is no key to rotate to. */
export class AsymmetricSigningOffError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'asymmetric-signing-off',
      title: 'Conflict',
      detail:
        'Access tokens are signed with JWT_SECRET (JWT_SIGNING_ALGORITHM=HS256): no key rotates.',
    });
  }
}

/** SIGNING_KEY_ENCRYPTION_KEY is unset here while the keys in the table were sealed with one. */
export class DevelopmentKeyRefusedError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'signing-key-encryption-key-missing',
      title: 'Conflict',
      detail:
        'SIGNING_KEY_ENCRYPTION_KEY is not set here, but the signing keys were sealed with one: set it, a new key is not sealed with the published development key.',
    });
  }
}

/**
 * No key signs now, or its private part does not open (a wrong SIGNING_KEY_ENCRYPTION_KEY):
 * the service cannot issue tokens until an operator acts, which is not the client's fault.
 */
export class SigningUnavailableError extends ProblemException {
  constructor() {
    super({
      status: 503,
      code: 'signing-unavailable',
      title: 'Service Unavailable',
      detail: 'Access tokens cannot be signed right now; try again shortly.',
      headers: { 'Retry-After': '5' },
    });
  }
}
