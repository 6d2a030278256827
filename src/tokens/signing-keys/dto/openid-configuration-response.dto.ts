/**
 * The part of OpenID Connect Discovery 1.0 (§3) and RFC 8414 that lets a verifier configure
 * itself from the issuer: where the keys are, which algorithms sign.
 */
export class OpenIdConfigurationResponseDto {
  /** AUTH_PUBLIC_URL: the URL this document is served under, and the `iss` of key-signed tokens. @example "https://auth.whazz.audio" */
  issuer: string;
  /** @example "https://auth.whazz.audio/.well-known/jwks.json" */
  jwks_uri: string;
  /** The algorithms tokens may be signed with now. @example ["EdDSA"] */
  id_token_signing_alg_values_supported: string[];
  /** @example ["public"] */
  subject_types_supported: string[];
  /** This service issues no ID tokens through an authorization endpoint. @example [] */
  response_types_supported: string[];
}
