import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class ImportSigningKeyDto {
  /**
   * The private key to publish: a PEM (PKCS #8, `-----BEGIN PRIVATE KEY-----`) or a private
   * JWK (with `d`) as a JSON string. Ed25519 under EdDSA, P-256 under ES256. Never echoed.
   */
  @IsString()
  @IsNotEmpty()
  @MaxLength(8192)
  private_key: string;
}
