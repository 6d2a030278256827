import { Injectable } from '@nestjs/common';
import { BootstrapAdministratorService } from '../authorization/bootstrap-administrator.service.js';
import type { ClientInfo } from '../common/http/client-address.js';
import { MailService } from '../mail/mail.service.js';
import { SecurityEventsService } from '../security-events/security-events.service.js';
import type { User } from '../users/entities/user.entity.js';
import { emailAddressProblem, normalizeEmail } from '../users/email-address.js';
import { usernameFromHint, usernameWithSuffix } from '../users/username-rules.js';
import { UsersService } from '../users/users.service.js';
import { IdentitiesService } from './identities.service.js';
import { oauthMails } from './oauth-mails.js';
import { IdentityLinkRequiredError, ProviderEmailRequiredError } from './oauth.errors.js';
import type { ProviderProfile } from './provider-clients.service.js';

/** Tries of a suffixed name before giving up; each is 1 in 65536 to collide. */
const USERNAME_TRIES = 5;

export type LinkOutcome =
  'linked' | 'already-linked' | 'linked-to-another-account' | 'account-unavailable';

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
   * address and no password.
   */
  async userFor(profile: ProviderProfile, client: ClientInfo): Promise<User> {
    const known = await this.identities.findBySubject(profile.provider, profile.subject);
    if (known) {
      await this.identities.recordUse(known, profile);
      const user = await this.users.findById(known.userId);
      // The foreign key cascades: an identity without its user cannot be read here.
      if (user) return user;
    }
    const email = accountAddress(profile.email);
    if (!email) throw new ProviderEmailRequiredError(profile.provider);
    const existing = await this.users.findByEmail(email);
    if (existing) {
      if (!profile.emailVerified || !existing.emailVerified) {
        throw new IdentityLinkRequiredError(profile.provider);
      }
      await this.identities.add(existing.id, profile);
      await this.linked(existing, profile, client);
      return existing;
    }
    if (!profile.emailVerified) throw new ProviderEmailRequiredError(profile.provider);
    return this.openAccount(email, profile, client);
  }

  /** Links the provider account to the signed-in user who started the flow. */
  async linkTo(userId: string, profile: ProviderProfile, client: ClientInfo): Promise<LinkOutcome> {
    const known = await this.identities.findBySubject(profile.provider, profile.subject);
    if (known) {
      if (known.userId !== userId) return 'linked-to-another-account';
      await this.identities.recordUse(known, profile);
      return 'already-linked';
    }
    const user = await this.users.findById(userId);
    if (!user?.isActive) return 'account-unavailable';
    await this.identities.add(user.id, profile);
    await this.linked(user, profile, client);
    return 'linked';
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

  private async openAccount(
    email: string,
    profile: ProviderProfile,
    client: ClientInfo,
  ): Promise<User> {
    const username = await this.freeUsername(profile.nameHint);
    const user = await this.identities.openAccount(
      { email, username, passwordHash: null, emailVerified: true },
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
    await this.bootstrapAdministrator.emailVerified(email);
    return user;
  }

  /**
   * The provider's login or name when free (ignoring case and look-alikes), else with a short
   * suffix. Checked before the insert: a name taken in between is a 409 the user can retry.
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

/** The provider's address as accounts store it, or null when no account could hold it. */
function accountAddress(email: string | null): string | null {
  if (!email) return null;
  const normalized = normalizeEmail(email);
  if (normalized.length > 254 || emailAddressProblem(normalized) || !normalized.includes('@')) {
    return null;
  }
  return normalized;
}
