import { Injectable } from '@nestjs/common';
import { AccountDisabledError } from '../auth/auth.errors.js';
import { BootstrapAdministratorService } from '../authorization/bootstrap-administrator.service.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { MailService } from '../mail/mail.service.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import type { User } from '../users/entities/user.entity.js';
import { usernameFromHint, usernameWithSuffix } from '../users/username-rules.js';
import { AccountFieldTakenError } from '../users/users.errors.js';
import { UsersService } from '../users/users.service.js';
import type { Identity } from './entities/identity.entity.js';
import { IdentitiesService } from './identities.service.js';
import { oauthMails } from './oauth-mails.js';
import {
  IdentityInUseError,
  IdentityLinkRequiredError,
  ProviderEmailRequiredError,
} from './oauth.errors.js';
import type { ProviderProfile } from './provider-clients.service.js';
import { accountAddress, mayLinkAutomatically } from './provider-email.js';

/** Tries of a suffixed name before giving up; each is 1 in 65536 to collide. */
const USERNAME_TRIES = 5;

/**
 * Tries of a sign-in that lost a race to a concurrent one (the same new identity, or the same
 * free username): each looks again at what the winner wrote (issue #21 review).
 */
const SIGN_IN_TRIES = 5;

/** Which account a provider's sign-in belongs to (issue #21): the linking rules, written once. */
@Injectable()
export class AccountLinkingService {
  constructor(
    private readonly identities: IdentitiesService,
    private readonly users: UsersService,
    private readonly events: SecurityEventsService,
    private readonly mail: MailService,
    private readonly bootstrapAdministrator: BootstrapAdministratorService,
  ) {}

  /**
   * A known identity signs its user in. A new one whose address belongs to an account is
   * linked only when both the provider and the account verified that address; otherwise the
   * user must sign in and link (so that registering someone's address at a provider first
   * takes nothing). A new one matching no account opens one, with the provider's verified
   * address and no password. A concurrent sign-in that wrote first is looked at again.
   */
  async userFor(profile: ProviderProfile, client: ClientInfo): Promise<User> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.findOrOpenAccount(profile, client);
      } catch (error) {
        const lostRace =
          error instanceof IdentityInUseError || error instanceof AccountFieldTakenError;
        if (!lostRace || attempt >= SIGN_IN_TRIES) throw error;
      }
    }
  }

  /**
   * Links the provider account to `user`, who started linking and completed it with their
   * own token. Answers the identity (already linked to `user`: as it is).
   */
  async linkTo(user: User, profile: ProviderProfile, client: ClientInfo): Promise<Identity> {
    const known = await this.identities.findBySubject(profile.provider, profile.subject);
    if (known) {
      if (known.userId !== user.id) throw new IdentityInUseError();
      await this.identities.recordUse(known, profile);
      return known;
    }
    try {
      const identity = await this.identities.add(user.id, profile);
      await this.linked(user, profile, client);
      return identity;
    } catch (error) {
      // The same link completed twice at once: the second finds the first's.
      const winner = await this.identities.findBySubject(profile.provider, profile.subject);
      if (error instanceof IdentityInUseError && winner?.userId === user.id) return winner;
      throw error;
    }
  }

  /** Refused (409) when it would leave the account no way to sign in. */
  async unlink(userId: string, identityId: string, client: ClientInfo): Promise<void> {
    const removed = await this.identities.remove(userId, identityId);
    await this.events.record({
      type: 'identity_unlinked',
      userId,
      reason: removed.provider,
      client,
    });
  }

  private async findOrOpenAccount(profile: ProviderProfile, client: ClientInfo): Promise<User> {
    const known = await this.identities.findBySubject(profile.provider, profile.subject);
    if (known) {
      await this.identities.recordUse(known, profile);
      const user = await this.users.findById(known.userId);
      // The foreign key cascades: an identity without its user cannot be read here.
      if (user) return user;
    }
    const email = accountAddress(profile.email);
    if (!email || !profile.email) throw new ProviderEmailRequiredError(profile.provider);
    const existing = await this.users.findByEmail(email);
    if (existing) return this.linkByEmail(existing, profile, profile.email, client);
    if (!profile.emailVerified) throw new ProviderEmailRequiredError(profile.provider);
    // The provider verified its own spelling; one that matches the stored address only after
    // Unicode folding is another mailbox, so the account's address waits for our own link.
    return this.openAccount(email, profile, client, mayLinkAutomatically(profile.email, email));
  }

  /**
   * Only when both sides verified the address, the provider's is the account's apart from
   * ASCII case, and the account is active: a disabled one gets no identity and no mail.
   */
  private async linkByEmail(
    existing: User,
    profile: ProviderProfile,
    providerEmail: string,
    client: ClientInfo,
  ): Promise<User> {
    if (
      !profile.emailVerified ||
      !existing.emailVerified ||
      !mayLinkAutomatically(providerEmail, existing.email)
    ) {
      const withHash = await this.users.findByIdWithPasswordHash(existing.id);
      throw new IdentityLinkRequiredError(profile.provider, Boolean(withHash?.passwordHash));
    }
    if (!existing.isActive) throw new AccountDisabledError();
    await this.identities.add(existing.id, profile);
    await this.linked(existing, profile, client);
    return existing;
  }

  private async openAccount(
    email: string,
    profile: ProviderProfile,
    client: ClientInfo,
    emailVerified: boolean,
  ): Promise<User> {
    const username = await this.freeUsername(profile.nameHint);
    const user = await this.identities.openAccount(
      { email, username, passwordHash: null, emailVerified },
      profile,
    );
    await this.events.record({ type: 'signup', userId: user.id, reason: profile.provider, client });
    await this.events.record({
      type: 'identity_linked',
      userId: user.id,
      reason: profile.provider,
      client,
    });
    // Verified by the provider: the bootstrap address is honoured as after a verification link.
    if (emailVerified) await this.bootstrapAdministrator.emailVerified(email);
    return user;
  }

  /**
   * The provider's login or name when free (ignoring case and look-alikes), else with a short
   * suffix. Checked before the insert: a name taken in between makes userFor try again.
   */
  private async freeUsername(hint: string | null): Promise<string> {
    const base = usernameFromHint(hint);
    if (await this.users.isUsernameFree(base)) return base;
    for (let attempt = 1; attempt < USERNAME_TRIES; attempt += 1) {
      const candidate = usernameWithSuffix(base);
      if (await this.users.isUsernameFree(candidate)) return candidate;
    }
    return usernameWithSuffix(base);
  }

  private async linked(user: User, profile: ProviderProfile, client: ClientInfo): Promise<void> {
    await this.events.record({
      type: 'identity_linked',
      userId: user.id,
      reason: profile.provider,
      client,
    });
    this.mail.send(oauthMails.providerLinked(user.email, profile.provider));
  }
}
