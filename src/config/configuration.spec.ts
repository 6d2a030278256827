import { describe, expect, it } from 'vitest';
import { buildConfiguration, InvalidEnvironmentError } from './configuration.js';

const STRONG_SECRET = 'k'.repeat(40);

/** What production needs set; each case takes one of them away. */
const PRODUCTION = {
  JWT_SECRET: STRONG_SECRET,
  SMTP_URL: 'smtp://mail.example.com:587',
  APP_PUBLIC_URL: 'https://app.example.com',
  SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  AUTH_PUBLIC_URL: 'https://auth.example.com',
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

describe('buildConfiguration', () => {
  it('applies the documented defaults to an empty environment', () => {
    const configuration = buildConfiguration({});
    expect(configuration.app).toMatchObject({
      environment: 'development',
      port: 8000,
      host: '127.0.0.1',
      corsOrigins: '*',
      logFormat: 'auto',
    });
    expect(configuration.tokens.accessTokenTtlSeconds).toBe(900);
    expect(configuration.sessions.refreshTokenTtlSeconds).toBe(30 * 86400);
    expect(configuration.passwords.bcryptCost).toBe(12);
    expect(configuration.database).toMatchObject({
      url: undefined,
      poolSize: 10,
      runMigrations: true,
    });
  });

  it('parses rate limits as requests per window, and off as no limit', () => {
    const { policies } = buildConfiguration({
      RATE_LIMIT_LOGIN: '5/30s',
      RATE_LIMIT_SIGNUP: '100/2h',
      RATE_LIMIT_REFRESH: 'off',
    }).rateLimits;
    expect(policies.login).toEqual({ limit: 5, windowSeconds: 30 });
    expect(policies.signup).toEqual({ limit: 100, windowSeconds: 7200 });
    expect(policies.refresh).toBeNull();
    expect(policies.default).toEqual({ limit: 600, windowSeconds: 60 });
  });

  it('refuses a rate limit it cannot read, naming the variable and the format', () => {
    for (const value of ['10', '0/1m', '10/1d', '10/m', 'ten/1m', '10 / 1m']) {
      expect(problemsOf({ RATE_LIMIT_LOGIN: value })).toEqual([
        expect.stringMatching(/^RATE_LIMIT_LOGIN: must be <requests>\/<window> such as 30\/1m/),
      ]);
    }
  });

  it('refuses a login backoff whose cap is below its first wait', () => {
    expect(
      problemsOf({ LOGIN_BACKOFF_INITIAL_SECONDS: '60', LOGIN_BACKOFF_MAX_SECONDS: '30' }),
    ).toEqual([expect.stringMatching(/^LOGIN_BACKOFF_MAX_SECONDS: must not be less/)]);
  });

  it('reads ACCESS_TOKEN_EXPIRE_SECONDS over the minutes, and empty as unset', () => {
    const ttl = (env: Record<string, string>) =>
      buildConfiguration(env).tokens.accessTokenTtlSeconds;
    expect(ttl({ ACCESS_TOKEN_EXPIRE_SECONDS: '' })).toBe(900);
    expect(ttl({ ACCESS_TOKEN_EXPIRE_SECONDS: '  ', ACCESS_TOKEN_EXPIRE_MINUTES: '2' })).toBe(120);
    expect(ttl({ ACCESS_TOKEN_EXPIRE_SECONDS: '30' })).toBe(30);
    expect(ttl({ ACCESS_TOKEN_EXPIRE_SECONDS: '30', ACCESS_TOKEN_EXPIRE_MINUTES: '5' })).toBe(30);
    expect(problemsOf({ ACCESS_TOKEN_EXPIRE_SECONDS: '4' })).toEqual([
      expect.stringMatching(/^ACCESS_TOKEN_EXPIRE_SECONDS: .*must not be less than 5 \(got 4\)/),
    ]);
    expect(problemsOf({ ACCESS_TOKEN_EXPIRE_SECONDS: 'soon' })).toEqual([
      expect.stringMatching(/^ACCESS_TOKEN_EXPIRE_SECONDS: /),
    ]);
  });

  it('makes a throwaway secret outside production and says so', () => {
    const configuration = buildConfiguration({});
    expect(configuration.tokens.jwtSecretGenerated).toBe(true);
    expect(Buffer.from(configuration.tokens.jwtSecret, 'base64url').length).toBe(32);
  });

  it('reads the FastAPI name SECRET_KEY when JWT_SECRET is absent, and prefers JWT_SECRET', () => {
    expect(buildConfiguration({ SECRET_KEY: 'old-name' }).tokens.jwtSecret).toBe('old-name');
    expect(
      buildConfiguration({ SECRET_KEY: 'old-name', JWT_SECRET: 'new-name' }).tokens.jwtSecret,
    ).toBe('new-name');
  });

  it('builds the database URL from POSTGRES_* (or the FastAPI POSTGRES_SERVER), escaping credentials', () => {
    const { database } = buildConfiguration({
      POSTGRES_SERVER: 'db.internal',
      POSTGRES_USER: 'auth',
      POSTGRES_PASSWORD: 'p@ss/word',
      POSTGRES_DB: 'whazz',
    });
    expect(database.url).toBe('postgres://auth:p%40ss%2Fword@db.internal:5432/whazz');
    expect(
      buildConfiguration({ DATABASE_URL: 'postgres://x@y/z', POSTGRES_HOST: 'ignored' }).database
        .url,
    ).toBe('postgres://x@y/z');
  });

  it('lets any origin use CORS when CORS_ORIGINS is unset, empty or *, and none when off', () => {
    for (const value of [undefined, '', ' ', '*']) {
      expect(buildConfiguration({ CORS_ORIGINS: value }).app.corsOrigins).toBe('*');
    }
    expect(buildConfiguration({ CORS_ORIGINS: 'off' }).app.corsOrigins).toBe(false);
    expect(buildConfiguration({ CORS_ORIGINS: 'OFF' }).app.corsOrigins).toBe(false);
  });

  it('reads CORS_ORIGINS as a list of origins, written as browsers send them', () => {
    expect(
      buildConfiguration({
        CORS_ORIGINS: 'https://a.example, HTTPS://B.Example:443/,http://localhost:3000,',
      }).app.corsOrigins,
    ).toEqual(['https://a.example', 'https://b.example', 'http://localhost:3000']);
  });

  it('refuses at start-up each CORS_ORIGINS entry that is not an origin', () => {
    const hint = 'write scheme://host[:port] and nothing after it, such as https://app.example.com';
    expect(
      problemsOf({
        CORS_ORIGINS: [
          'example.com',
          'localhost:3000',
          'https://app.example.com/login',
          'https://app.example.com?x=1',
          'https://*.example.com',
          'https://user:pw@app.example.com',
          'ftp://app.example.com',
          'https://fine.example.com',
        ].join(','),
      }),
    ).toEqual([
      `CORS_ORIGINS: "example.com" is not an origin; ${hint}`,
      `CORS_ORIGINS: "localhost:3000" is not an origin; ${hint}`,
      `CORS_ORIGINS: "https://app.example.com/login" is not an origin; ${hint}`,
      `CORS_ORIGINS: "https://app.example.com?x=1" is not an origin; ${hint}`,
      `CORS_ORIGINS: "https://*.example.com" is not an origin; ${hint}`,
      `CORS_ORIGINS: "https://user:pw@app.example.com" is not an origin; ${hint}`,
      `CORS_ORIGINS: "ftp://app.example.com" is not an origin; ${hint}`,
    ]);
    expect(problemsOf({ CORS_ORIGINS: '*, https://a.example' })).toEqual([
      'CORS_ORIGINS: * stands alone, not in a list',
    ]);
    expect(problemsOf({ CORS_ORIGINS: ' , ' })).toEqual([
      'CORS_ORIGINS: names no origin; write *, off or origins',
    ]);
  });

  it('reads MFA_REQUIRED_ROLES as role names, and names each one that is not', () => {
    expect(buildConfiguration({}).mfa.requiredRoles).toEqual([]);
    expect(
      buildConfiguration({ MFA_REQUIRED_ROLES: ' admin, support ,admin,' }).mfa.requiredRoles,
    ).toEqual(['admin', 'support']);
    expect(problemsOf({ MFA_REQUIRED_ROLES: 'admin, Ops Team, x' })).toEqual([
      expect.stringContaining('MFA_REQUIRED_ROLES: "Ops Team" is not a role name'),
      expect.stringContaining('MFA_REQUIRED_ROLES: "x" is not a role name'),
    ]);
  });

  it('reads WEB_CONCURRENCY as a count or auto, and splits the hashing threads among workers', () => {
    const server = { DATABASE_URL: 'postgres://x@y/z' };
    expect(buildConfiguration(server).app.webConcurrency).toBe(1);
    const two = buildConfiguration({ ...server, WEB_CONCURRENCY: '2' });
    expect(two.app.webConcurrency).toBe(2);
    expect(two.passwords.hashThreads).toBeGreaterThanOrEqual(1);
    expect(
      buildConfiguration({ ...server, WEB_CONCURRENCY: 'auto' }).app.webConcurrency,
    ).toBeGreaterThanOrEqual(1);
    expect(
      buildConfiguration({ ...server, PASSWORD_HASH_THREADS: '3' }).passwords.hashThreads,
    ).toBe(3);
    expect(problemsOf({ WEB_CONCURRENCY: 'many' })[0]).toMatch(
      /^WEB_CONCURRENCY: must be a whole number/,
    );
  });

  it('refuses several workers on the embedded database, which lives in one process', () => {
    expect(problemsOf({ WEB_CONCURRENCY: '2' }).join()).toContain('needs DATABASE_URL');
  });

  it('names every malformed variable at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      BCRYPT_COST: '3',
      DATABASE_RUN_MIGRATIONS: 'maybe',
      LOG_LEVEL: 'loud',
      LOG_FORMAT: 'colour',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'BCRYPT_COST',
      'DATABASE_RUN_MIGRATIONS',
      'LOG_FORMAT',
      'LOG_LEVEL',
      'PORT',
    ]);
  });

  it('caps connections per address at 100, or not at all behind a proxy, unless told', () => {
    const cap = (env: Record<string, string>) => buildConfiguration(env).app.connectionsPerAddress;
    expect(cap({})).toBe(100);
    expect(cap({ TRUST_PROXY: '1' })).toBeNull();
    expect(cap({ TRUST_PROXY: '1', CONNECTIONS_PER_ADDRESS: '500' })).toBe(500);
    expect(cap({ CONNECTIONS_PER_ADDRESS: 'off' })).toBeNull();
    for (const value of ['0', '-1', 'many', '1.5']) {
      expect(problemsOf({ CONNECTIONS_PER_ADDRESS: value })).toEqual([
        expect.stringMatching(/^CONNECTIONS_PER_ADDRESS: must be a whole number/),
      ]);
    }
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(buildConfiguration({}).app).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
    });
    expect(problemsOf({ HEADERS_TIMEOUT_SECONDS: '40' })).toEqual([
      'HEADERS_TIMEOUT_SECONDS: must not be more than REQUEST_TIMEOUT_SECONDS',
    ]);
  });

  it('never repeats a secret value in an error', () => {
    const problems = problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'short-secret-value' });
    expect(problems.join('\n')).not.toContain('short-secret-value');
  });

  describe('in production', () => {
    it.each<[string, Record<string, string | undefined>, string]>([
      ['a missing secret', { JWT_SECRET: undefined }, 'JWT_SECRET: must be set'],
      ['a secret under 32 bytes', { JWT_SECRET: 'x'.repeat(31) }, 'at least 32 bytes'],
      [
        'the FastAPI docs example secret',
        { JWT_SECRET: '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7' },
        'published example',
      ],
      [
        'our .env.example secret',
        { JWT_SECRET: 'replace-with-at-least-32-random-bytes-from-openssl-rand' },
        'published example',
      ],
      [
        'a test-grade bcrypt cost',
        { JWT_SECRET: STRONG_SECRET, BCRYPT_COST: '4' },
        'BCRYPT_COST: must be at least 10',
      ],
      ['mail written to files', { SMTP_URL: '' }, 'SMTP_URL: must be set'],
      [
        'signing keys kept without a key-encryption key',
        { SIGNING_KEY_ENCRYPTION_KEY: undefined },
        'SIGNING_KEY_ENCRYPTION_KEY: must be set when NODE_ENV=production and JWT_SIGNING_ALGORITHM=EdDSA',
      ],
      [
        'an issuer URL served over http',
        { AUTH_PUBLIC_URL: 'http://auth.example.com' },
        'AUTH_PUBLIC_URL: must be an https URL when NODE_ENV=production',
      ],
      [
        'no issuer URL (verifiers could not discover the keys)',
        { AUTH_PUBLIC_URL: undefined },
        'AUTH_PUBLIC_URL: must be set when NODE_ENV=production',
      ],
      ...[
        'http://localhost:8000',
        'https://LOCALHOST/',
        'http://app.localhost',
        'http://127.0.0.1:3000',
        'http://127.1.2.3',
        'http://[::1]:8000',
        'http://0.0.0.0',
      ].map((url): [string, Record<string, string>, string] => [
        `links to ${url}`,
        { APP_PUBLIC_URL: url },
        'APP_PUBLIC_URL: must not point at localhost',
      ]),
    ])('refuses to start with %s', (_, env, expected) => {
      const problems = problemsOf({ NODE_ENV: 'production', ...PRODUCTION, ...env });
      expect(problems.join('\n')).toContain(expected);
    });

    it('refuses each weakness in one message, the default mail settings among them', () => {
      expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
        expect.stringMatching(/^JWT_SECRET: must be set/),
        expect.stringMatching(/^SIGNING_KEY_ENCRYPTION_KEY: must be set/),
        expect.stringMatching(/^AUTH_PUBLIC_URL: must be set/),
        expect.stringMatching(/^SMTP_URL: must be set/),
        expect.stringMatching(/^APP_PUBLIC_URL: must not point at localhost/),
      ]);
    });

    it('starts with a strong secret, an SMTP server and public links', () => {
      const configuration = buildConfiguration({ NODE_ENV: 'production', ...PRODUCTION });
      expect(configuration.tokens.jwtSecretGenerated).toBe(false);
      expect(configuration.mail.publicUrl).toBe('https://app.example.com');
    });
  });
});
