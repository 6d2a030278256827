import { IsString, Matches } from 'class-validator';
import { isLocalHost } from '../common/http/local-host.js';
import {
  defineFeatureConfig,
  OptionalText,
  type SettingsContext,
} from '../config/feature-config.js';

export class OAuthVariables {
  /** Provider names, comma-separated: `github` is GitHub, any other an OpenID Connect issuer. */
  @Matches(/^\s*([a-z][a-z0-9]{0,19}\s*(,\s*[a-z][a-z0-9]{0,19}\s*)*)?$/, {
    message: 'must be a comma-separated list of lower-case names (a-z, 0-9, at most 20)',
  })
  OAUTH_PROVIDERS = '';

  /** The app URLs a sign-in may return to, comma-separated, compared exactly. */
  @IsString()
  OAUTH_REDIRECT_URIS = '';

  /** This service as the providers' browsers reach it: the callback is `<this>/auth/oauth/<name>/callback`. */
  @OptionalText()
  OAUTH_CALLBACK_BASE_URL?: string;

  /** GitHub's endpoints: GitHub Enterprise, or the tests' GitHub-shaped server, set others. */
  @IsString()
  OAUTH_GITHUB_AUTHORIZE_URL = 'https://github.com/login/oauth/authorize';

  @IsString()
  OAUTH_GITHUB_TOKEN_URL = 'https://github.com/login/oauth/access_token';

  /** `GET <this>/user` and `GET <this>/user/emails`. */
  @IsString()
  OAUTH_GITHUB_API_URL = 'https://api.github.com';
}

export interface OidcProviderSettings {
  kind: 'oidc';
  name: string;
  issuer: URL;
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** Plain http, for a provider on this machine outside production (the tests' own). */
  allowInsecureRequests: boolean;
}

export interface GitHubProviderSettings {
  kind: 'github';
  name: 'github';
  clientId: string;
  clientSecret: string;
  scopes: string;
  authorizeUrl: URL;
  tokenUrl: URL;
  /** `GET <this>/user` and `GET <this>/user/emails`. */
  apiUrl: URL;
  allowInsecureRequests: boolean;
}

export type ProviderSettings = OidcProviderSettings | GitHubProviderSettings;

const GOOGLE_ISSUER = 'https://accounts.google.com';

/** Reads the variables named after one provider, adding a problem for each one wrong. */
class ProviderVariables {
  constructor(
    private readonly name: string,
    private readonly context: SettingsContext,
  ) {}

  variable(suffix: string): string {
    return `OAUTH_${this.name.toUpperCase()}_${suffix}`;
  }

  text(suffix: string, fallback?: string): string {
    const value = this.context.source[this.variable(suffix)];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (fallback !== undefined) return fallback;
    this.context.problems.push(`${this.variable(suffix)}: must be set for provider ${this.name}`);
    return '';
  }

  /**
   * https, or http to this machine outside production: only the tests' peers differ from the
   * real providers, never the code path (issue #21).
   */
  url(suffix: string, fallback?: string): { url: URL; insecure: boolean } {
    const text = this.text(suffix, fallback);
    const url = URL.canParse(text) ? new URL(text) : undefined;
    const loopbackHttp =
      url?.protocol === 'http:' &&
      isLocalHost(url.hostname) &&
      this.context.environment !== 'production';
    if (text && (!url || (url.protocol !== 'https:' && !loopbackHttp))) {
      this.context.problems.push(
        `${this.variable(suffix)}: must be an https URL (http only to this machine outside production)`,
      );
    }
    return { url: url ?? new URL('https://invalid.invalid'), insecure: loopbackHttp };
  }
}

function providerSettings(
  name: string,
  env: OAuthVariables,
  context: SettingsContext,
): ProviderSettings {
  const variables = new ProviderVariables(name, context);
  const clientId = variables.text('CLIENT_ID');
  const clientSecret = variables.text('CLIENT_SECRET');
  if (name === 'github') {
    const authorize = variables.url('AUTHORIZE_URL', env.OAUTH_GITHUB_AUTHORIZE_URL);
    const token = variables.url('TOKEN_URL', env.OAUTH_GITHUB_TOKEN_URL);
    const api = variables.url('API_URL', env.OAUTH_GITHUB_API_URL);
    return {
      kind: 'github',
      name,
      clientId,
      clientSecret,
      scopes: variables.text('SCOPES', 'read:user user:email'),
      authorizeUrl: authorize.url,
      tokenUrl: token.url,
      apiUrl: api.url,
      allowInsecureRequests: authorize.insecure || token.insecure || api.insecure,
    };
  }
  const issuer = variables.url('ISSUER', name === 'google' ? GOOGLE_ISSUER : undefined);
  return {
    kind: 'oidc',
    name,
    issuer: issuer.url,
    clientId,
    clientSecret,
    scopes: variables.text('SCOPES', 'openid email profile'),
    allowInsecureRequests: issuer.insecure,
  };
}

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * Each app URL as written: compared character for character, so no normalising here. In
 * production plain http only to this machine (RFC 8252 §7.3 loopback): elsewhere anyone on
 * the path reads the code. Custom schemes (RFC 8252 §7.1) are for native apps, with PKCE.
 */
function redirectUris(value: string, context: SettingsContext): string[] {
  const uris = list(value);
  for (const uri of uris) {
    if (!URL.canParse(uri) || uri.includes('#')) {
      context.problems.push(
        `OAUTH_REDIRECT_URIS: ${JSON.stringify(uri)} is not an absolute URL without a fragment`,
      );
      continue;
    }
    const url = new URL(uri);
    if (
      context.environment === 'production' &&
      url.protocol === 'http:' &&
      !isLocalHost(url.hostname)
    ) {
      context.problems.push(
        `OAUTH_REDIRECT_URIS: ${JSON.stringify(uri)} must be https in production (plain http only to this machine)`,
      );
    }
  }
  return uris;
}

/** The base the providers redirect browsers to: https in production, where codes pass. */
function callbackBaseUrl(
  value: string | undefined,
  hasProviders: boolean,
  context: SettingsContext,
) {
  const base = value?.replace(/\/+$/, '');
  if (!hasProviders) return base ?? '';
  if (!base || !URL.canParse(base)) {
    context.problems.push(
      'OAUTH_CALLBACK_BASE_URL: must be the absolute URL of this service when OAUTH_PROVIDERS is set',
    );
  } else if (context.environment === 'production' && new URL(base).protocol !== 'https:') {
    context.problems.push('OAUTH_CALLBACK_BASE_URL: must be an https URL in production');
  }
  return base ?? '';
}

/** Sign-in with Google, GitHub and any OpenID Connect provider (issue #21). */
export const oauthConfig = defineFeatureConfig({
  namespace: 'oauth',
  title: 'Social login',
  variables: OAuthVariables,
  rateLimits: {
    'oauth-authorize': {
      variable: 'RATE_LIMIT_OAUTH_AUTHORIZE',
      default: '60/1m',
      subject: { per: 'address' },
    },
    'oauth-token': {
      variable: 'RATE_LIMIT_OAUTH_TOKEN',
      default: '30/1m',
      subject: { per: 'address' },
    },
  },
  settings: (env, context) => {
    const names = [...new Set(list(env.OAUTH_PROVIDERS))];
    const providers = names.map((name) => providerSettings(name, env, context));
    const uris = redirectUris(env.OAUTH_REDIRECT_URIS, context);
    if (providers.length > 0 && uris.length === 0 && context.environment === 'production') {
      context.problems.push(
        'OAUTH_REDIRECT_URIS: must list the app URLs a sign-in returns to when OAUTH_PROVIDERS is set',
      );
    }
    return {
      providers: new Map(providers.map((provider) => [provider.name, provider])),
      redirectUris: new Set(uris),
      /** `<base>/auth/oauth/<name>/callback` is what each provider has registered. */
      callbackBaseUrl: callbackBaseUrl(env.OAUTH_CALLBACK_BASE_URL, providers.length > 0, context),
      /** How long a started sign-in may take at the provider. */
      stateTtlSeconds: 10 * 60,
      /** How long the app has to exchange the one-time login code. */
      loginCodeTtlSeconds: 60,
    };
  },
});

export type OAuthConfig = ReturnType<typeof oauthConfig.settings>;
