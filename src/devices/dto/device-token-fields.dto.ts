import { IsBoolean, IsString, Matches } from 'class-validator';
import { DEVICE_TOKEN_PATTERN } from '../device-token.js';
import { Optional } from '../../common/validation/optional.decorator.js';

/** What a request that finishes a login says about its device (issue #20). */
export class DeviceTokenFields {
  /**
   * The `device_token` an earlier login on this client answered, if it kept one (issue #20):
   * a device the account knows is not held back by the backoff others cause. A token that is
   * unknown, expired or another account's counts as none (and a new one is answered).
   * @example "Zm9yIGV4YW1wbGUgb25seSwgbm90IGEgcmVhbCB0b2tlbg"
   */
  @Matches(DEVICE_TOKEN_PATTERN, { message: 'must be a device token from an earlier login' })
  @IsString()
  @Optional()
  device_token?: string;

  /**
   * Ask for a device token (the answer's `device_token`) without having one yet. Off by
   * default, so that a client that never sends one back gets the FastAPI token pair as before.
   * @example true
   */
  @IsBoolean()
  @Optional()
  request_device_token?: boolean;
}
