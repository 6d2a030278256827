import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthService, type TokenPair } from '../auth/auth.service.js';
import type { ClientInfo } from '../common/http/client-address.js';
import type { Configuration } from '../config/configuration.js';
import type { Principal } from '../tokens/access-token.js';
import { AccountLinkingService, type LinkOutcome } from './account-linking.service.js';
import type { OAuthState } from './entities/oauth-state.entity.js';
import type { OAuthConfig, ProviderSettings } from './oauth.config.js';
import {
  InvalidLoginCodeError,
  InvalidOAuthStateError,
  RedirectUriNotAllowedError,
  UnknownProviderError,
} from './oauth.errors.js';
import { OAuthHandoffsService } from './oauth-handoffs.service.js';
import { ProviderClientsService, ProviderResponseError } from './provider-clients.service.js';

export interface AppReturn {
  /** One of OAUTH_REDIRECT_URIS, exactly. */
  redirectUri: string;
  /** The app's own `state`, handed back unchanged. */
  appState?: string;
}

/** What the app is told in its redirect's query: never a token (issue #21). */
type AppAnswer =
  | { code: string }
  | { linked: string }
  | {
      error:
        | 'access_denied'
        | 'provider_error'
        | 'invalid_provider_response'
        | 'identity_in_use'
        | 'account_unavailable';
    };

const LINK_ERRORS: Record<Exclude<LinkOutcome, 'linked' | 'already-linked'>, AppAnswer> = {
  'linked-to-another-account': { error: 'identity_in_use' },
  'account-unavailable': { error: 'account_unavailable' },
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
    config: ConfigService<Configuration, true>,
  ) {
    this.settings = config.get('oauth', { infer: true });
  }

  /** The provider's authorization URL for a sign-in that returns to the app. */
  startSignIn(providerName: string, app: AppReturn): Promise<URL> {
    return this.start(providerName, app, null);
  }

  /** As startSignIn, for a signed-in user adding the provider to their account. */
  startLink(principal: Principal, providerName: string, app: AppReturn): Promise<URL> {
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
   * of every sign-in (where two-factor login, issue #20, will answer `mfa-required`).
   */
  async exchangeLoginCode(code: string, client: ClientInfo): Promise<TokenPair> {
    const profile = await this.handoffs.redeemLoginCode(code);
    if (!profile) throw new InvalidLoginCodeError();
    const user = await this.linking.userFor(profile, client);
    return this.auth.login(user, client, { method: 'provider', provider: profile.provider });
  }

  private async start(
    providerName: string,
    app: AppReturn,
    linkUserId: string | null,
  ): Promise<URL> {
    const provider = this.provider(providerName);
    // Exact: a trailing slash or another case is another URL (issue #21).
    if (!this.settings.redirectUris.has(app.redirectUri)) throw new RedirectUriNotAllowedError();
    const request = await this.providers.authorizationRequest(provider);
    await this.handoffs.saveState({
      state: request.state,
      provider: provider.name,
      redirectUri: app.redirectUri,
      appState: app.appState ?? null,
      codeVerifier: request.codeVerifier,
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
      if (!(failure instanceof ProviderResponseError)) throw failure;
      this.logger.warn({
        msg: 'sign-in provider answer refused',
        provider: provider.name,
        reason: failure.message,
        request_id: client.requestId,
      });
      return { error: 'invalid_provider_response' };
    }
    if (!started.linkUserId) return { code: await this.handoffs.issueLoginCode(profile) };
    const outcome = await this.linking.linkTo(started.linkUserId, profile, client);
    return outcome === 'linked' || outcome === 'already-linked'
      ? { linked: provider.name }
      : LINK_ERRORS[outcome];
  }

  private provider(name: string): ProviderSettings {
    const provider = this.providers.provider(name);
    if (!provider) throw new UnknownProviderError();
    return provider;
  }
}

/** The app's URL as configured, with the answer and its own `state` added to the query. */
function appUrl(started: OAuthState, answer: AppAnswer): URL {
  const url = new URL(started.redirectUri);
  for (const [name, value] of Object.entries(answer)) url.searchParams.set(name, value);
  if (started.appState !== null) url.searchParams.set('state', started.appState);
  return url;
}
