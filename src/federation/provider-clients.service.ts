import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as oidc from 'openid-client';
import type { Configuration } from '../config/configuration.js';
import type { GitHubProviderSettings, OAuthConfig, ProviderSettings } from './oauth.config.js';
import { ProviderUnavailableError } from './oauth.errors.js';
import { usableProviderEmail } from './provider-email.js';

/** What a provider proved about the person signing in. */
export interface ProviderProfile {
  provider: string;
  subject: string;
  /**
   * As the provider gave it; null when it gave none (GitHub: no verified primary address) or
   * one no account could hold (too long, refused by the address rules).
   */
  email: string | null;
  emailVerified: boolean;
  /** A login or display name, for the username of a new account. */
  nameHint: string | null;
}

/** The secrets of one trip to the provider: kept server-side until its callback. */
export interface AuthorizationRequest {
  url: URL;
  state: string;
  codeVerifier: string;
  nonce: string | null;
}

export interface ExpectedResponse {
  state: string;
  codeVerifier: string;
  nonce: string | null;
}

/** Thrown when the provider's answer fails a check; the app is told, the log says why. */
export class ProviderResponseError extends Error {
  override name = 'ProviderResponseError';
}

const REQUEST_TIMEOUT_SECONDS = 10;

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * The protocol, through openid-client (issue #21): OpenID Connect discovery, PKCE, nonce, the
 * code exchange and the id_token's checks (issuer, audience, nonce, expiry, and its signature
 * against the provider's JWKS); GitHub through the same library's plain OAuth 2 calls.
 */
@Injectable()
export class ProviderClientsService {
  private readonly logger = new Logger(ProviderClientsService.name);
  private readonly settings: OAuthConfig;
  private readonly clients = new Map<string, Promise<oidc.Configuration>>();

  constructor(config: ConfigService<Configuration, true>) {
    this.settings = config.get('oauth', { infer: true });
  }

  provider(name: string): ProviderSettings | undefined {
    return this.settings.providers.get(name);
  }

  callbackUrl(provider: ProviderSettings): string {
    return `${this.settings.callbackBaseUrl}/auth/oauth/${provider.name}/callback`;
  }

  async authorizationRequest(provider: ProviderSettings): Promise<AuthorizationRequest> {
    const client = await this.client(provider);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = provider.kind === 'oidc' ? oidc.randomNonce() : null;
    const url = oidc.buildAuthorizationUrl(client, {
      redirect_uri: this.callbackUrl(provider),
      scope: provider.scopes,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...(nonce ? { nonce } : {}),
    });
    return { url, state, codeVerifier, nonce };
  }

  /**
   * Exchanges the code the callback received (`query`: its query string, as received) and
   * returns who signed in. Any failed check is a ProviderResponseError.
   */
  async profile(
    provider: ProviderSettings,
    query: string,
    expected: ExpectedResponse,
  ): Promise<ProviderProfile> {
    const client = await this.client(provider);
    const currentUrl = new URL(this.callbackUrl(provider));
    currentUrl.search = query;
    try {
      const tokens = await oidc.authorizationCodeGrant(client, currentUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedState: expected.state,
        ...(expected.nonce ? { expectedNonce: expected.nonce } : {}),
        idTokenExpected: provider.kind === 'oidc',
      });
      if (provider.kind === 'github') {
        return await this.gitHubProfile(provider, client, tokens.access_token);
      }
      return await this.oidcProfile(provider, client, tokens.access_token, tokens.claims());
    } catch (error) {
      if (error instanceof ProviderResponseError) throw error;
      // openid-client's errors say which check failed; never which code or token it held.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown';
      throw new ProviderResponseError(reason);
    }
  }

  /**
   * Who signed in is the validated id_token's `sub`. Its address and names come from the
   * id_token when it carries them (Google), else from the UserInfo endpoint, whose answer
   * openid-client refuses unless it is about that same `sub`.
   */
  private async oidcProfile(
    provider: ProviderSettings,
    client: oidc.Configuration,
    accessToken: string,
    idToken: oidc.IDToken | undefined,
  ): Promise<ProviderProfile> {
    if (!idToken) throw new ProviderResponseError('no id_token');
    // OpenID Connect Core §2: at most 255 ASCII characters, as the `subject` column holds.
    if (idToken.sub.length > 255) throw new ProviderResponseError('sub longer than 255');
    let claims: Record<string, unknown> = idToken;
    if (idToken.email === undefined && client.serverMetadata().userinfo_endpoint) {
      claims = { ...(await oidc.fetchUserInfo(client, accessToken, idToken.sub)), ...idToken };
    }
    const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
    const email = usableProviderEmail(claims.email);
    return {
      provider: provider.name,
      subject: idToken.sub,
      email,
      // Only a boolean true counts: a provider that says nothing has verified nothing.
      emailVerified: email !== null && claims.email_verified === true,
      nameHint: text(claims.preferred_username) ?? text(claims.name),
    };
  }

  /** `GET /user` for the id and login, `GET /user/emails` for the primary, verified address. */
  private async gitHubProfile(
    provider: GitHubProviderSettings,
    client: oidc.Configuration,
    accessToken: string,
  ): Promise<ProviderProfile> {
    const user = await this.gitHubApi(provider, client, accessToken, '/user');
    const emails = await this.gitHubApi(provider, client, accessToken, '/user/emails');
    const { id, login } = (user ?? {}) as { id?: unknown; login?: unknown };
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || !Array.isArray(emails)) {
      throw new ProviderResponseError('unexpected GitHub user or emails');
    }
    // Another address, even verified, is not the one the account is known by (issue #21).
    const primary = (emails as Partial<GitHubEmail>[]).find(
      (entry) => entry.primary === true && entry.verified === true,
    );
    const email = usableProviderEmail(primary?.email);
    return {
      provider: provider.name,
      subject: String(id),
      email,
      emailVerified: email !== null,
      nameHint: typeof login === 'string' ? login : null,
    };
  }

  private async gitHubApi(
    provider: GitHubProviderSettings,
    client: oidc.Configuration,
    accessToken: string,
    path: string,
  ): Promise<unknown> {
    const url = new URL(`${provider.apiUrl.href.replace(/\/+$/, '')}${path}`);
    const headers = new Headers({
      accept: 'application/vnd.github+json',
      'user-agent': 'whazz-audio-auth',
      'x-github-api-version': '2022-11-28',
    });
    const response = await oidc.fetchProtectedResource(
      client,
      accessToken,
      url,
      'GET',
      undefined,
      headers,
    );
    if (!response.ok) throw new ProviderResponseError(`GitHub ${path} answered ${response.status}`);
    return response.json();
  }

  /**
   * One client per provider, discovered at its first use; a failed discovery is forgotten so
   * that the next sign-in tries again.
   */
  private client(provider: ProviderSettings): Promise<oidc.Configuration> {
    let client = this.clients.get(provider.name);
    if (!client) {
      client = this.createClient(provider).catch((error: unknown) => {
        this.clients.delete(provider.name);
        this.logger.warn({
          msg: 'sign-in provider unavailable',
          provider: provider.name,
          err: error,
        });
        throw new ProviderUnavailableError();
      });
      this.clients.set(provider.name, client);
    }
    return client;
  }

  private async createClient(provider: ProviderSettings): Promise<oidc.Configuration> {
    // Plain http only for a provider on this machine outside production (oauth.config.ts).
    const insecure = provider.allowInsecureRequests ? [oidc.allowInsecureRequests] : [];
    let client: oidc.Configuration;
    if (provider.kind === 'oidc') {
      client = await oidc.discovery(
        provider.issuer,
        provider.clientId,
        provider.clientSecret,
        undefined,
        {
          // Also check the id_token's signature against the JWKS, not only TLS (issue #21).
          execute: [...insecure, oidc.enableNonRepudiationChecks],
          timeout: REQUEST_TIMEOUT_SECONDS,
        },
      );
    } else {
      client = new oidc.Configuration(
        {
          issuer: provider.authorizeUrl.origin,
          authorization_endpoint: provider.authorizeUrl.href,
          token_endpoint: provider.tokenUrl.href,
        },
        provider.clientId,
        provider.clientSecret,
      );
      for (const apply of insecure) apply(client);
    }
    client.timeout = REQUEST_TIMEOUT_SECONDS;
    return client;
  }
}
