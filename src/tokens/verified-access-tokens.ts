import { Injectable } from '@nestjs/common';
import type { VerifiedClaims } from './access-token.js';

/** About 0.6 KB an entry (token text and claims): some 12 MB when full. */
const MAX_ENTRIES = 20_000;

/**
 * A token's third part, its signature: the lookup key. A Map hashes its key on every lookup, and
 * hashing the whole ~300 characters was a third of the guard's own instructions (callgrind);
 * the whole text is compared after.
 */
const signatureOf = (token: string) => token.slice(token.lastIndexOf('.') + 1);

/**
 * Access tokens whose signature, algorithm, issuer, audience and dates have already been
 * checked (AccessTokenVerifier), so a client's next request with the same token skips that
 * (about a third of the cost of `GET /auth/me`, issue #3; more with Ed25519, issue #22).
 *
 * Only the verification is remembered, never the verdict: revocation and the account's state
 * are checked on every request, and an entry is used only until the token's `exp`. Tokens are
 * never forged into it: an entry holds text that verified, and only that exact text matches it.
 */
@Injectable()
export class VerifiedAccessTokens {
  private readonly bySignature = new Map<
    string,
    { token: string; claims: VerifiedClaims; kid: string | undefined }
  >();

  /** `kid`: the signing key, so that retiring it forgets the token (HS256 tokens have none). */
  remember(token: string, claims: VerifiedClaims, kid?: string): void {
    if (this.bySignature.size >= MAX_ENTRIES) {
      // The oldest entry goes first: insertion order, which Map keeps.
      this.bySignature.delete(this.bySignature.keys().next().value!);
    }
    this.bySignature.set(signatureOf(token), { token, claims, kid });
  }

  /** A retired key's tokens are refused from now on, remembered or not (issue #22). */
  forgetSignedBy(kids: readonly string[]): void {
    for (const [signature, entry] of this.bySignature) {
      if (entry.kid !== undefined && kids.includes(entry.kid)) this.bySignature.delete(signature);
    }
  }

  /** The claims of a token verified earlier and not expired since; otherwise undefined. */
  recall(token: string): VerifiedClaims | undefined {
    const signature = signatureOf(token);
    const entry = this.bySignature.get(signature);
    // Another text with a copied signature is not the token that verified.
    if (!entry || entry.token !== token) return undefined;
    // jose's rule (jsonwebtoken's before it): expired once the clock, in whole seconds, reaches `exp`.
    if (Math.floor(Date.now() / 1000) < entry.claims.exp) return entry.claims;
    this.bySignature.delete(signature);
    return undefined;
  }
}
