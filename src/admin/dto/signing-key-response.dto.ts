import { ApiProperty } from '@nestjs/swagger';
import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type {
  SigningKeyState,
  SigningKeyView,
} from '../../tokens/signing-keys/signing-key-view.js';

const STATES: SigningKeyState[] = ['pending', 'signing', 'superseded', 'retired'];

/** A signing key as administrators see it: never its private part. */
export class SigningKeyResponseDto {
  /** The `kid` of the tokens it signs. @example "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" */
  kid: string;

  /** @example "EdDSA" */
  algorithm: string;

  /**
   * `pending`: published, signs from `active_from`; `signing`: signs new tokens; `superseded`:
   * still published for the tokens it signed; `retired`: withdrawn, its tokens are refused.
   */
  @ApiProperty({ enum: STATES, example: 'signing' })
  state: SigningKeyState;

  @ApiTimestamp()
  published_at: string;

  @ApiTimestamp()
  active_from: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  retired_at: string | null;

  static from(key: SigningKeyView): SigningKeyResponseDto {
    return {
      kid: key.kid,
      algorithm: key.algorithm,
      state: key.state,
      published_at: isoTimestamp(key.publishedAt),
      active_from: isoTimestamp(key.activeFrom),
      retired_at: key.retiredAt ? isoTimestamp(key.retiredAt) : null,
    };
  }
}
