import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccountService } from '../account/account.service.js';
import { AuthService, type TokenPair } from '../auth/auth.service.js';
import type { ClientInfo } from '../common/http/client-address.js';
import type { Configuration } from '../config/configuration.js';
import type { Principal } from '../tokens/access-token.js';
import { AccountLinkingService } from './account-linking.service.js';
import type { Identity } from './entities/identity.entity.js';
import type { OAuthState } from './entities/oauth-state.entity.js';
import type { OAuthConfig, ProviderSettings } from './oauth.config.js';
import {
  CodeChallengeRequiredError,
  InvalidLinkCodeError,
  InvalidLoginCodeError,
  InvalidOAuthStateError,
  ProviderUnavailableError,
  RedirectUriNotAllowedError,
  UnknownProviderError,
} from './oauth.errors.js';
import { OAuthHandoffsService, type RedeemedCode } from './oauth-handoffs.service.js';
import { ProviderClientsService, ProviderResponseError } from './provider-clients.service.js';

export interface AppReturn {
  /** One of OAUTH_REDIRECT_URIS, exactly. */
  redirectUri: string;
  /** The app's own `state`, handed back unchanged. */
  appState?: string;
  /** The app's PKCE S256 challenge (RFC 8252 §8.1); required for a redirect URI not https. */
  codeChallenge?: string;
}

/** What the app is told in its redirect's query: never a token (issue #21). */
type AppAnswer =
  | { code: string }
  | { link_code: string }
  | {
      error:
        | 'access_denied'
        | 'provider_error'
        | 'invalid_provider_response'
        | 'temporarily_unavailable';
    };

/** Social sign-in and linking (issue #21): the flow from the app to the provider and back. */
@Injectable()
export class OAuthService {
  private readonly logger = new Logger(OAuthService.name);
  private readonly settings: OAuthConfig;

  constructor(
    private readonly providers: ProviderClientsService,
    private readonly handoffs: OAuthHandoffsService,
    private readonly linking: AccountLinkingService,
    private readonly auth: AuthService,
    private readonly account: AccountService,
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('oauth', { infer: true });
  }

  /** The provider's authorization URL for a sign-in that returns to the app. */
  startSignIn(providerName: string, app: AppReturn): Promise<URL> {
    return this.start(providerName, app, null);
  }

  /**
   * As startSignIn, for a signed-in user adding the provider to their account: confirmed by
   * the account's password, or a recent sign-in for an account without one (issue #21 review:
   * a stolen access token alone must not add a permanent way in).
   */
  async startLink(
    principal: Principal,
    providerName: string,
    app: AppReturn,
    currentPassword: string | undefined,
  ): Promise<URL> {
    this.provider(providerName);
    await this.account.confirmSignedInUser(principal, currentPassword, 'current_password');
    return this.start(providerName, app, principal.userId);
  }

  /**
   * The provider's redirect back. A missing, unknown, expired or replayed `state` is a 400:
   * without it there is no app URL to return to. Anything after is told to the app.
   */
  async finishAtProvider(providerName: string, query: string, client: ClientInfo): Promise<URL> {
    const provider = this.provider(providerName);
    const params = new URLSearchParams(query);
    const state = params.get('state');
    const started = state ? await this.handoffs.takeState(state, provider.name) : undefined;
    if (!state || !started) throw new InvalidOAuthStateError();
    const answer = await this.answerFor(provider, query, state, started, client);
    return appUrl(started, answer);
  }

  /**
   * The one-time code the app got, for a token pair: through AuthService.login, the one end
   * of every sign-in (where an account with a second factor answers `mfa-required`).
   */
  async exchangeLoginCode(
    code: string,
    codeVerifier: string | undefined,
    client: ClientInfo,
  ): Promise<TokenPair> {
    const redeemed = await this.handoffs.redeemCode(code, 'login');
    if (!redeemed || !verifierMatches(redeemed, codeVerifier)) throw new InvalidLoginCodeError();
    const { profile } = redeemed;
    const user = await this.linking.userFor(profile, client);
    return this.auth.login(user, client, { method: 'provider', provider: profile.provider });
  }

  /**
   * Completes linking with the link code and the bearer token of the account that started it
   * (issue #21 review). Finishing in the callback, bound only to the user who started, let an
   * attacker send their own authorization URL to a victim and get the victim's provider
   * account linked to the attacker's account (login CSRF): the code proves the provider's
   * sign-in, the token proves that the same person holds the account.
   */
  async completeLink(
    principal: Principal,
    code: string,
    codeVerifier: string | undefined,
    client: ClientInfo,
  ): Promise<Identity> {
    const redeemed = await this.handoffs.redeemCode(code, 'link');
    if (
      !redeemed ||
      redeemed.linkUserId !== principal.userId ||
      !verifierMatches(redeemed, codeVerifier)
    ) {
      throw new InvalidLinkCodeError();
    }
    return this.linking.linkTo(principal.user, redeemed.profile, client);
  }

  private async start(
    providerName: string,
    app: AppReturn,
    linkUserId: string | null,
  ): Promise<URL> {
    const provider = this.provider(providerName);
    // Exact: a trailing slash or another case is another URL (issue #21).
    if (!this.settings.redirectUris.has(app.redirectUri)) throw new RedirectUriNotAllowedError();
    // RFC 8252 §8.1: another app can claim a custom scheme or listen on loopback.
    if (!app.codeChallenge && new URL(app.redirectUri).protocol !== 'https:') {
      throw new CodeChallengeRequiredError();
    }
    const request = await this.providers.authorizationRequest(provider);
    await this.handoffs.saveState({
      state: request.state,
      provider: provider.name,
      redirectUri: app.redirectUri,
      appState: app.appState ?? null,
      codeVerifier: request.codeVerifier,
      appCodeChallenge: app.codeChallenge ?? null,
      nonce: request.nonce,
      linkUserId,
    });
    return request.url;
  }

  private async answerFor(
    provider: ProviderSettings,
    query: string,
    state: string,
    started: OAuthState,
    client: ClientInfo,
  ): Promise<AppAnswer> {
    const error = new URLSearchParams(query).get('error');
    // The provider's own words are not repeated: only whether the user said no.
    if (error) return { error: error === 'access_denied' ? 'access_denied' : 'provider_error' };
    let profile;
    try {
      profile = await this.providers.profile(provider, query, {
        state,
        codeVerifier: started.codeVerifier,
        nonce: started.nonce,
      });
    } catch (failure) {
      // The state is spent: the app is told, as for any other failure (RFC 6749 §4.1.2.1).
      if (failure instanceof ProviderUnavailableError) return { error: 'temporarily_unavailable' };
      if (!(failure instanceof ProviderResponseError)) throw failure;
      this.logger.warn({
        msg: 'sign-in provider answer refused',
        provider: provider.name,
        reason: failure.message,
        request_id: client.requestId,
      });
      return { error: 'invalid_provider_response' };
    }
    const code = await this.handoffs.issueCode(profile, started);
    return started.linkUserId ? { link_code: code } : { code };
  }

  private provider(name: string): ProviderSettings {
    const provider = this.providers.provider(name);
    if (!provider) throw new UnknownProviderError();
    return provider;
  }
}

/**
 * PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA-256(verifier)) equals the challenge. A code that
 * came with no challenge takes no verifier.
 */
function verifierMatches({ codeChallenge }: RedeemedCode, verifier: string | undefined): boolean {
  if (codeChallenge === null) return verifier === undefined;
  if (verifier === undefined) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(codeChallenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** The app's URL as configured, with the answer and its own `state` added to the query. */
function appUrl(started: OAuthState, answer: AppAnswer): URL {
  const url = new URL(started.redirectUri);
  for (const [name, value] of Object.entries(answer)) url.searchParams.set(name, value);
  if (started.appState !== null) url.searchParams.set('state', started.appState);
  return url;
}
