import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { MfaStatus, TotpSetup } from '../mfa.service.js';

/** A new TOTP secret; nothing is on until `POST /auth/mfa/totp/confirm`. */
export class TotpSetupResponseDto {
  /** The secret in base32, for typing into an app by hand. Shown only here. */
  secret: string;

  /** `otpauth://totp/...`: what the QR code holds. */
  otpauth_uri: string;

  /** The `otpauth_uri` as a QR code, an SVG document. */
  qr_code_svg: string;

  static from(setup: TotpSetup): TotpSetupResponseDto {
    return { secret: setup.secret, otpauth_uri: setup.otpauthUri, qr_code_svg: setup.qrCodeSvg };
  }
}

export class RecoveryCodesResponseDto {
  /**
   * Ten codes, each working once instead of the app's code. Shown only now: store them safely.
   * @example ["abcd-efgh-ijkl-mnop"]
   */
  recovery_codes: string[];
}

export class MfaMethodDto {
  /** @example "totp" */
  method: 'totp';

  @ApiTimestamp()
  confirmed_at: string;
}

/** What second factors the account has; never a secret. */
export class MfaStatusResponseDto {
  /** True when login asks for a second factor. */
  enabled: boolean;

  methods: MfaMethodDto[];

  /** Recovery codes not used yet. */
  recovery_codes_remaining: number;

  static from(status: MfaStatus): MfaStatusResponseDto {
    return {
      enabled: status.totp !== null,
      methods: status.totp
        ? [{ method: 'totp', confirmed_at: isoTimestamp(status.totp.confirmedAt) }]
        : [],
      recovery_codes_remaining: status.recoveryCodesRemaining,
    };
  }
}
