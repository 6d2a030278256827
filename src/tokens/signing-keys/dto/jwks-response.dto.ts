/** One public key (RFC 7517 §4, RFC 8037 for Ed25519). */
export class PublicJwkDto {
  /** `OKP` (Ed25519) or `EC` (P-256). @example "OKP" */
  kty: string;
  /** `Ed25519` or `P-256`. @example "Ed25519" */
  crv: string;
  /** The public key (base64url). @example "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" */
  x: string;
  /** The second coordinate, for `EC` keys only. */
  y?: string;
  /** What the tokens it signs carry in their `kid` header: the RFC 7638 thumbprint. @example "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" */
  kid: string;
  /** @example "EdDSA" */
  alg: string;
  /** @example "sig" */
  use: string;
}

/** RFC 7517 §5: every key a token of this service may be signed with now. */
export class JwksResponseDto {
  keys: PublicJwkDto[];
}
