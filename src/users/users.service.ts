import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import {
  AccountFieldTakenError,
  UserNotFoundError,
  type UniqueAccountField,
} from './users.errors.js';
import { USER_EMAIL_UNIQUE, USER_USERNAME_UNIQUE, User } from './entities/user.entity.js';

export interface NewUser {
  email: string;
  username: string;
  passwordHash: string;
}

const FIELD_BY_CONSTRAINT: Record<string, UniqueAccountField> = {
  [USER_EMAIL_UNIQUE]: 'email',
  [USER_USERNAME_UNIQUE]: 'username',
};

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();
export const normaliseUsername = (username: string): string => username.trim().toLowerCase();

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /**
   * Uniqueness is the unique indexes' job, not a read-then-write check: of concurrent
   * signups for one name exactly one insert wins and the others become a 409 here.
   */
  async create(newUser: NewUser): Promise<User> {
    const user = this.users.create({
      id: randomUUID(),
      email: normaliseEmail(newUser.email),
      username: newUser.username.trim(),
      usernameNormalized: normaliseUsername(newUser.username),
      passwordHash: newUser.passwordHash,
    });
    try {
      await this.users.insert(user);
    } catch (error) {
      const field = takenField(error);
      if (field) throw new AccountFieldTakenError(field);
      throw error;
    }
    // insert() filled in the generated columns (created_at, updated_at, is_active) from RETURNING.
    return user;
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new UserNotFoundError();
    return user;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /**
   * Exact match, ignoring case, on the email or the username: never a pattern (LIKE).
   * The one query that loads the password hash (a `select: false` column).
   */
  findByLoginWithPasswordHash(usernameOrEmail: string): Promise<User | null> {
    const key = usernameOrEmail.trim().toLowerCase();
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :key OR user.usernameNormalized = :key', { key })
      .getOne();
  }
}

function takenField(error: unknown): UniqueAccountField | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string };
  if (driverError.code !== '23505' || !driverError.constraint) return undefined;
  return FIELD_BY_CONSTRAINT[driverError.constraint];
}
