import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type EntityManager, type Repository } from 'typeorm';
import type { User } from '../users/entities/user.entity.js';
import { UsersService, type NewUser } from '../users/users.service.js';
import { IDENTITY_PROVIDER_SUBJECT_UNIQUE, Identity } from './entities/identity.entity.js';
import {
  IdentityInUseError,
  IdentityNotFoundError,
  LastSignInMethodError,
} from './oauth.errors.js';
import type { ProviderProfile } from './provider-clients.service.js';

/** The provider accounts that sign users in (issue #21); the only writer of `identities`. */
@Injectable()
export class IdentitiesService {
  constructor(
    @InjectRepository(Identity) private readonly identities: Repository<Identity>,
    private readonly users: UsersService,
  ) {}

  findBySubject(provider: string, subject: string): Promise<Identity | null> {
    return this.identities.findOneBy({ provider, subject });
  }

  listForUser(userId: string): Promise<Identity[]> {
    return this.identities.find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  /** What the provider says now replaces what it said before; the address is only shown. */
  async recordUse(identity: Identity, profile: ProviderProfile): Promise<void> {
    await this.identities.update(
      { id: identity.id },
      { email: profile.email, emailVerified: profile.emailVerified, lastUsedAt: new Date() },
    );
  }

  /**
   * A unique index holds "one user per provider account": a second link, even one racing
   * this one, is IdentityInUseError (409), which callers may answer by looking again.
   */
  async add(
    userId: string,
    profile: ProviderProfile,
    manager = this.identities.manager,
  ): Promise<Identity> {
    const identity = manager.create(Identity, {
      id: randomUUID(),
      provider: profile.provider,
      subject: profile.subject,
      email: profile.email,
      emailVerified: profile.emailVerified,
      userId,
    });
    try {
      await manager.insert(Identity, identity);
    } catch (error) {
      if (isIdentityTaken(error)) throw new IdentityInUseError();
      throw error;
    }
    return identity;
  }

  /** A new account and its first identity, together or not at all. */
  openAccount(newUser: NewUser, profile: ProviderProfile): Promise<User> {
    return this.identities.manager.transaction(async (manager) => {
      const user = await this.users.create(newUser, manager);
      await this.add(user.id, profile, manager);
      return user;
    });
  }

  /**
   * Refused (409) when it would leave the account no way to sign in: no password and no other
   * identity. The user's row is locked first, so two removals at once cannot both pass.
   */
  remove(userId: string, id: string): Promise<Identity> {
    return this.identities.manager.transaction(async (manager: EntityManager) => {
      const hasPassword = await this.users.lockAndCheckPassword(manager, userId);
      const owned = await manager.find(Identity, { where: { userId } });
      const identity = owned.find((candidate) => candidate.id === id);
      if (!identity) throw new IdentityNotFoundError();
      if (!hasPassword && owned.length === 1) throw new LastSignInMethodError();
      await manager.delete(Identity, { id, userId });
      return identity;
    });
  }
}

function isIdentityTaken(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return (
    driverError.code === '23505' && driverError.constraint === IDENTITY_PROVIDER_SUBJECT_UNIQUE
  );
}
