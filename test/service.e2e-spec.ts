import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { signUpAndLogIn } from './factories/user.factory.js';
import { startTcpProxy } from './tcp-proxy.js';

const PROBLEM = /^application\/problem\+json/;

const PUBLIC_ROUTES = [
  'GET /',
  'GET /health',
  'GET /health/live',
  'POST /auth/signup',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/verify-email',
  'POST /auth/verify-email/request',
  'POST /auth/forgot-password',
  'POST /auth/reset-password',
  // Issue #21: social login.
  'GET /auth/oauth/{provider}/authorize',
  'GET /auth/oauth/{provider}/callback',
  'POST /auth/oauth/token',
  // Issue #20: the login's second step.
  'POST /auth/mfa/verify',
  // Issue #22: what other services read to verify tokens.
  'GET /.well-known/jwks.json',
  'GET /.well-known/openid-configuration',
];
const BEARER_ROUTES = [
  'GET /auth/me',
  'POST /auth/logout',
  'POST /auth/logout-all',
  'GET /auth/sessions',
  'GET /auth/events',
  'DELETE /auth/sessions/{id}',
  'GET /auth/devices',
  'DELETE /auth/devices/{id}',
  'POST /auth/verify-email/resend',
  'POST /auth/change-password',
  'POST /auth/change-email',
  'DELETE /auth/me',
  'GET /admin/roles',
  'POST /admin/roles',
  'PATCH /admin/roles/{name}',
  'PUT /admin/roles/{name}/permissions',
  'DELETE /admin/roles/{name}',
  'PUT /admin/users/{id}/roles',
  // Issue #19: the admin users API and the audit log.
  'GET /admin/users',
  'POST /admin/users',
  'GET /admin/users/{id}',
  'PATCH /admin/users/{id}',
  'DELETE /admin/users/{id}',
  'POST /admin/users/{id}/disable',
  'POST /admin/users/{id}/enable',
  'POST /admin/users/{id}/impersonate',
  'POST /admin/users/{id}/mfa/reset',
  'POST /admin/users/{id}/sessions/revoke-all',
  'POST /admin/users/{id}/password-reset',
  'GET /admin/audit',
  // Issue #21: linking providers to the signed-in account.
  'POST /auth/oauth/{provider}/link',
  'POST /auth/oauth/link/complete',
  'GET /auth/identities',
  'DELETE /auth/identities/{id}',
  // Issue #20: second factors.
  'GET /auth/mfa',
  'POST /auth/mfa/totp/setup',
  'POST /auth/mfa/totp/confirm',
  'POST /auth/mfa/totp/disable',
  'POST /auth/mfa/recovery-codes/regenerate',
  // Issue #22: signing keys.
  'GET /admin/keys',
  'POST /admin/keys/rotate',
  'POST /admin/keys/import',
  'POST /admin/keys/{kid}/retire',
  // Issue #22: signed webhooks.
  'GET /admin/webhooks',
  'POST /admin/webhooks',
  'GET /admin/webhooks/{id}',
  'PATCH /admin/webhooks/{id}',
  'POST /admin/webhooks/{id}/rotate-secret',
  'POST /admin/webhooks/{id}/test',
  'GET /admin/webhooks/{id}/deliveries',
  'POST /admin/webhooks/{id}/deliveries/{deliveryId}/redeliver',
];

function runRedocly(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      join('node_modules', '.bin', 'redocly'),
      args,
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        timeout: 50_000,
      },
      (error, stdout, stderr) => {
        // A lint failure is an exit code; anything else (not found, timed out) is an error.
        if (error && typeof error.code !== 'number') reject(new Error(error.message));
        else resolve({ stdout, stderr, code: typeof error?.code === 'number' ? error.code : 0 });
      },
    );
  });
}

describe('service endpoints, documentation and HTTP hygiene', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET / names the service and links to the docs', async () => {
    const response = await t.http.get('/');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      name: 'whazz-audio-auth',
      version: expect.any(String),
      docs: '/docs',
      redoc: '/redoc',
      openapi: '/docs-json',
    });
  });

  it('GET /health reports the database up', async () => {
    const response = await t.http.get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it('GET /health/live answers without touching the database', async () => {
    expect((await t.http.get('/health/live')).body).toEqual({ status: 'ok' });
  });

  it('answers an unknown route with 404 problem details', async () => {
    const response = await t.http.get('/auth/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body).toMatchObject({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      instance: '/auth/nothing-here',
    });
  });

  it.each([
    ['a malformed percent-encoding', '/auth/%E0%A4%A', 400],
    ['an over-long path parameter', `/auth/sessions/${'a'.repeat(5000)}`, 414],
  ])('answers %s with problem details', async (_, path, status) => {
    const response = await t.http.delete(path);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(PROBLEM);
  });

  it('answers requests Node rejects before routing (unknown method, huge header) with problem details', async () => {
    await t.app.listen(0, '127.0.0.1');
    const { port } = new URL(await t.app.getUrl());
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    const badMethod = await raw('FOO / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(badMethod).toMatch(/^HTTP\/1\.1 400 /);
    expect(badMethod).toContain('Content-Type: application/problem+json');
    const hugeHeader = await raw(
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(hugeHeader).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('sends security headers and no X-Powered-By', async () => {
    const response = await t.http.get('/');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('answers with its own request id, logging a usable client X-Request-Id beside it', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const given = await t.http.get('/nothing').set('X-Request-Id', 'client-req-42');
    expect(given.headers['x-request-id']).toMatch(uuid);
    expect(given.body.request_id).toBe(given.headers['x-request-id']);
    const unusable = await t.http.get('/nothing').set('X-Request-Id', 'bad id\twith "quotes"');
    expect(unusable.headers['x-request-id']).toMatch(uuid);

    const lineOf = (id: string) =>
      t.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.msg === 'request completed' && line.request_id === id);
    expect(lineOf(given.headers['x-request-id'] as string)).toMatchObject({
      client_request_id: 'client-req-42',
    });
    expect(lineOf(unusable.headers['x-request-id'] as string)).not.toHaveProperty(
      'client_request_id',
    );
  });

  it('serves Swagger UI at /docs from the installed package, not a CDN', async () => {
    const page = await t.http.get('/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs|fonts\.googleapis)/);
    const bundle = await t.http.get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    for (const asset of [
      'swagger-ui.css',
      'swagger-ui-standalone-preset.js',
      'swagger-ui-init.js',
    ]) {
      expect((await t.http.get(`/docs/${asset}`)).status, asset).toBe(200);
    }
  });

  it('serves ReDoc at /redoc with its script from the installed package', async () => {
    const page = await t.http.get('/redoc');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<redoc spec-url="/docs-json">');
    expect(page.text).not.toMatch(/https?:\/\//);
    const script = await t.http.get('/redoc/redoc.standalone.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
  });

  describe('the OpenAPI document at /docs-json', () => {
    let document: {
      paths: Record<
        string,
        Record<
          string,
          { security?: unknown[]; requestBody?: unknown; responses: Record<string, unknown> }
        >
      >;
      components: {
        schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
      };
    };
    beforeAll(async () => {
      document = (await t.http.get('/docs-json')).body;
    });

    it('documents every route the old service had, and the new ones', () => {
      const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations.sort()).toEqual([...PUBLIC_ROUTES, ...BEARER_ROUTES].sort());
    });

    it('marks exactly the protected routes with bearer auth', () => {
      const secured = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([, operation]) => operation.security?.length)
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      );
      expect(secured.sort()).toEqual([...BEARER_ROUTES].sort());
    });

    it('describes request bodies and responses from the DTOs, with snake_case fields', () => {
      const schemas = document.components.schemas;
      expect(Object.keys(schemas.SignupDto!.properties!)).toEqual([
        'email',
        'username',
        'password',
      ]);
      expect(schemas.LoginDto!.required).toEqual(['username_or_email', 'password']);
      expect(Object.keys(schemas.TokenPairResponseDto!.properties!).sort()).toEqual([
        'access_token',
        'expires_in',
        'refresh_token',
        'token_type',
      ]);
      expect(schemas.ProblemDetailsDto!.properties).toHaveProperty('errors');
      expect(document.paths['/auth/login']!.post!.requestBody).toBeDefined();
      expect(Object.keys(document.paths['/auth/signup']!.post!.responses)).toEqual(
        expect.arrayContaining(['201', '409', '422']),
      );
      expect(Object.keys(document.paths['/auth/me']!.get!.responses)).toEqual(
        expect.arrayContaining(['200', '401']),
      );
    });

    // Client generators and API portals read this document: it stays clean under the
    // linter they run, with its recommended rules (security on every operation, servers,
    // license, no unused components, ...). Telemetry off: tests reach no network.
    it('passes `redocly lint` with the recommended rules, without a warning', async () => {
      const folder = await mkdtemp(join(tmpdir(), 'whazz-openapi-'));
      try {
        const file = join(folder, 'openapi.json');
        await writeFile(file, JSON.stringify(document));
        const { stdout, stderr, code } = await runRedocly([
          'lint',
          file,
          '--extends=recommended',
          '--format=stylish',
          '--max-problems=50',
        ]);
        const report = `${stdout}\n${stderr}`;
        expect(code, report).toBe(0);
        expect(report, report).not.toMatch(/warning/i);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    }, 60_000);
  });

  it('never logs a password, a token or an Authorization header', async () => {
    const user = await signUpAndLogIn(t.http, { password: 'log-canary-password-1' });
    await t.http.get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`);
    await t.http.post('/auth/refresh').send({ refresh_token: user.refreshToken });
    await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: 'log-canary-wrong-2' });

    const logged = t.logs.join('\n');
    expect(t.logs.length).toBeGreaterThan(3);
    for (const secret of [
      'log-canary-password-1',
      'log-canary-wrong-2',
      user.accessToken,
      user.refreshToken,
      '$2b$',
      '$2a$',
    ]) {
      expect(logged).not.toContain(secret);
    }
    for (const line of t.logs) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});

describe('when the database becomes unreachable', () => {
  it('answers 503 problem details (never 500), /health says so, and recovers by itself', async () => {
    const proxy = await startTcpProxy(inject('databaseUrl'));
    const t = await createTestApp({ DATABASE_URL: proxy.url });
    const user = await signUpAndLogIn(t.http);

    await proxy.cut();
    const health = await t.http.get('/health');
    expect(health.status).toBe(503);
    expect(health.headers['content-type']).toMatch(PROBLEM);
    expect(health.body.checks.database.status).toBe('down');

    const me = await t.http.get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`);
    expect(me.status).toBe(503);
    expect(me.headers['content-type']).toMatch(PROBLEM);
    expect(me.headers['retry-after']).toBe('5');
    expect(JSON.stringify(me.body)).not.toMatch(/\.(ts|js):\d+/);
    const signupDuringOutage = await t.http.post('/auth/signup').send({
      email: 'outage.canary@example.com',
      username: 'outage_canary',
      password: 'outage-canary-pass',
    });
    expect(signupDuringOutage.status).toBe(503);
    const logged = t.logs.join('\n');
    // The failed INSERT's parameters (email, name, bcrypt hash) must not reach the log.
    for (const secret of ['outage.canary@example.com', 'outage-canary-pass', '$2b$', '$2a$']) {
      expect(logged).not.toContain(secret);
    }
    expect(logged).toContain('database unavailable');

    const login = await t.http
      .post('/auth/login')
      .send({ username_or_email: user.username, password: user.password });
    expect(login.status).toBe(503);

    await proxy.restore();
    await expect
      .poll(async () => (await t.http.get('/health')).status, { timeout: 10_000, interval: 200 })
      .toBe(200);
    expect(
      (await t.http.get('/auth/me').set('Authorization', `Bearer ${user.accessToken}`)).status,
    ).toBe(200);

    await t.close();
    await proxy.close();
  });
});
