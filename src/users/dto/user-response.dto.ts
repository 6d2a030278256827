import { ApiTimestamp, isoTimestamp } from '../../common/dto/timestamp.js';
import type { User } from '../entities/user.entity.js';

/** What the public view reads of an account; never its password hash. */
export type UserView = Pick<
  User,
  'id' | 'email' | 'username' | 'isActive' | 'emailVerified' | 'createdAt' | 'updatedAt'
>;

/** The public view of an account. Nothing else about a user leaves the service. */
export class UserResponseDto {
  /** @example "3f0c8a52-7f4e-4a55-9d55-0c1a0c3f4d1e" */
  id: string;

  /** Lower-cased. @example "alice@example.com" */
  email: string;

  /** As chosen at signup; unique ignoring case. @example "alice" */
  username: string;

  /** False when the account has been disabled; it cannot log in. */
  is_active: boolean;

  /** True once the link mailed to `email` was followed. */
  email_verified: boolean;

  @ApiTimestamp()
  created_at: string;

  @ApiTimestamp()
  updated_at: string;

  static from(user: UserView): UserResponseDto {
    return {
      id: user.id,
      email: user.email,
      username: user.username,
      is_active: user.isActive,
      email_verified: user.emailVerified,
      created_at: isoTimestamp(user.createdAt),
      updated_at: isoTimestamp(user.updatedAt),
    };
  }
}
