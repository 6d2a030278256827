import { describe, expect, it } from 'vitest';
import { buildConfiguration, InvalidEnvironmentError } from '../config/configuration.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'k'.repeat(40),
  SMTP_URL: 'smtp://mail.example.com:587',
  APP_PUBLIC_URL: 'https://app.example.com',
};

const GOOGLE = {
  OAUTH_PROVIDERS: 'google',
  OAUTH_GOOGLE_CLIENT_ID: 'client-id',
  OAUTH_GOOGLE_CLIENT_SECRET: 'client-secret-value',
  OAUTH_CALLBACK_BASE_URL: 'https://auth.example.com',
  OAUTH_REDIRECT_URIS: 'https://app.example.com/oauth/done,com.example.app:/oauth',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    buildConfiguration(env);
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) return error.problems;
    throw error;
  }
  return [];
}

const oauthProblems = (env: Record<string, string>) =>
  problemsOf({ ...PRODUCTION, ...GOOGLE, ...env }).filter((problem) =>
    problem.startsWith('OAUTH_'),
  );

describe('social login settings in production (issue #21 review)', () => {
  it('accepts https app URLs, a custom scheme, loopback http and an https callback base', () => {
    expect(
      oauthProblems({
        OAUTH_REDIRECT_URIS: `${GOOGLE.OAUTH_REDIRECT_URIS},http://127.0.0.1:7000/done`,
      }),
    ).toEqual([]);
  });

  it('refuses an app URL in plain http to another machine', () => {
    expect(oauthProblems({ OAUTH_REDIRECT_URIS: 'http://app.example.com/done' })).toEqual([
      expect.stringMatching(/^OAUTH_REDIRECT_URIS: .* must be https in production/),
    ]);
  });

  it('refuses a callback base that is not https', () => {
    expect(oauthProblems({ OAUTH_CALLBACK_BASE_URL: 'http://auth.example.com' })).toEqual([
      'OAUTH_CALLBACK_BASE_URL: must be an https URL in production',
    ]);
  });

  it('refuses providers with no app URL to return to', () => {
    expect(oauthProblems({ OAUTH_REDIRECT_URIS: '' })).toEqual([
      expect.stringMatching(/^OAUTH_REDIRECT_URIS: must list the app URLs/),
    ]);
  });

  it('lets plain http through outside production, for development', () => {
    const env = {
      ...GOOGLE,
      OAUTH_REDIRECT_URIS: 'http://app.localtest.example/done',
      OAUTH_CALLBACK_BASE_URL: 'http://auth.localtest.example',
    };
    expect(problemsOf(env)).toEqual([]);
  });
});
