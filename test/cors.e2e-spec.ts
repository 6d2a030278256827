/**
 * CORS (issue 17 point 7): out of the box, as the FastAPI service had it, a browser app on any
 * origin may call the API, never with credentials; CORS_ORIGINS narrows it or turns it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './create-test-app.js';
import { newSignup, signUpAndLogIn } from './factories/user.factory.js';

const APP_ORIGIN = 'https://app.whazz.audio';
const OTHER_ORIGIN = 'https://elsewhere.example';

/** What a browser asks before a bearer request with a JSON body. */
const preflight = (t: TestApp, origin: string, path = '/auth/logout') =>
  t.http
    .options(path)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'authorization,content-type');

const headerList = (value: string | undefined) =>
  (value ?? '').split(',').map((name) => name.trim().toLowerCase());

describe('CORS by default (CORS_ORIGINS unset)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('lets any origin read answers, without credentials', async () => {
    const response = await t.http.get('/').set('Origin', OTHER_ORIGIN);
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    expect(headerList(response.headers['access-control-expose-headers'])).toEqual(
      expect.arrayContaining([
        'x-request-id',
        'www-authenticate',
        'retry-after',
        'ratelimit-policy',
        'ratelimit',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
      ]),
    );
  });

  it('adds nothing for a caller without Origin (an app, a service, curl), and varies on Origin', async () => {
    const { accessToken } = await signUpAndLogIn(t.http);
    const fromApp = await t.http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`);
    expect(fromApp.status).toBe(200);
    expect(
      Object.keys(fromApp.headers).filter((name) => name.startsWith('access-control-')),
    ).toEqual([]);
    expect(headerList(fromApp.headers['vary'])).toContain('origin');
    const fromBrowser = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${accessToken}`)
      .set('Origin', APP_ORIGIN);
    expect(fromBrowser.headers['access-control-allow-origin']).toBe('*');
    expect(headerList(fromBrowser.headers['vary'])).toContain('origin');
    // The documentation, which a portal on another origin may fetch, varies on Origin too.
    expect(headerList((await t.http.get('/docs-json')).headers['vary'])).toContain('origin');
  });

  it('answers a preflight with 204, allowing Authorization and Content-Type, cached for a day', async () => {
    const response = await preflight(t, OTHER_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    expect(headerList(response.headers['access-control-allow-methods'])).toEqual(
      expect.arrayContaining(['get', 'post', 'delete']),
    );
    expect(headerList(response.headers['access-control-allow-headers'])).toEqual(
      expect.arrayContaining(['authorization', 'content-type']),
    );
    expect(response.headers['access-control-max-age']).toBe('86400');
  });

  it("allows a tracing SDK's headers too, so a browser app that adds them keeps working", async () => {
    const response = await t.http
      .options('/auth/me')
      .set('Origin', OTHER_ORIGIN)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization,sentry-trace,baggage');
    expect(response.status).toBe(204);
    expect(headerList(response.headers['access-control-allow-headers'])).toEqual(
      expect.arrayContaining(['authorization', 'sentry-trace', 'baggage']),
    );
  });

  it('lets the browser app read a bearer answer and the refusals it must act on', async () => {
    const user = await signUpAndLogIn(t.http);
    const me = await t.http
      .get('/auth/me')
      .set('Origin', OTHER_ORIGIN)
      .set('Authorization', `Bearer ${user.accessToken}`);
    expect(me.status).toBe(200);
    expect(me.headers['access-control-allow-origin']).toBe('*');

    const unauthorised = await t.http.get('/auth/me').set('Origin', OTHER_ORIGIN);
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers['access-control-allow-origin']).toBe('*');

    const tooLarge = await t.http
      .post('/auth/signup')
      .set('Origin', OTHER_ORIGIN)
      .send({ ...newSignup(), username: 'x'.repeat(101 * 1024) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('CORS narrowed by CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: `${APP_ORIGIN}, https://studio.whazz.audio` });
  });
  afterAll(() => t.close());

  it('lets a listed origin read answers and preflight, without credentials', async () => {
    const response = await t.http.get('/').set('Origin', APP_ORIGIN);
    expect(response.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    // The answer depends on Origin: a shared cache must not hand it to another origin.
    expect(headerList(response.headers['vary'])).toContain('origin');

    const allowed = await preflight(t, APP_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
  });

  it('gives any other origin no Access-Control-Allow-Origin, on answers or preflights', async () => {
    const response = await t.http.get('/').set('Origin', OTHER_ORIGIN);
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();

    const refused = await preflight(t, OTHER_ORIGIN);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS turned off (CORS_ORIGINS=off)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'off' });
  });
  afterAll(() => t.close());

  it('sends no CORS headers and answers a preflight 404', async () => {
    const response = await t.http.get('/').set('Origin', APP_ORIGIN);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();

    const refused = await preflight(t, APP_ORIGIN);
    expect(refused.status).toBe(404);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});
