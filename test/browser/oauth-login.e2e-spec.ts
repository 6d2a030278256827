/**
 * Social login (issue #21) driven by real Chromium: from the app's link, through the service
 * and the OpenID Connect provider (oidc-provider on loopback), back to the app's URL with a
 * one-time code, which the app exchanges for tokens. Debian's Chromium via playwright-core,
 * never a downloaded browser; skipped where /usr/bin/chromium is not installed.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from './chromium.js';
import { createTestApp, type TestApp } from '../create-test-app.js';
import { startOidcProvider, type TestOidcProvider } from '../oauth/oidc-test-provider.js';

const APP = 'https://app.example/oauth/done';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.runIf(hasChromium())('social login in Chromium', () => {
  let t: TestApp;
  let op: TestOidcProvider;
  let browser: Browser;
  let service: string;

  beforeAll(async () => {
    const port = await freePort();
    service = `http://127.0.0.1:${port}`;
    op = await startOidcProvider(`${service}/auth/oauth/acme/callback`);
    t = await createTestApp({
      OAUTH_PROVIDERS: 'acme',
      OAUTH_ACME_ISSUER: op.issuer,
      OAUTH_ACME_CLIENT_ID: op.clientId,
      OAUTH_ACME_CLIENT_SECRET: op.clientSecret,
      OAUTH_REDIRECT_URIS: APP,
      OAUTH_CALLBACK_BASE_URL: service,
    });
    await t.app.listen(port, '127.0.0.1');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await op?.close();
  });

  it('goes from the app link to the provider and back to the app with a code that signs in', async () => {
    op.signInAs({ sub: 'browser-user', email: 'browser.user@example.com', email_verified: true });
    const page = await browser.newPage();
    let landed: URL | undefined;
    // The app's page is not served here (the name does not resolve, and Chromium does not
    // hand a redirect's hop to an https origin to page.route): what matters is that the
    // browser was sent there, with the code, which the request itself shows.
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === 'https://app.example') landed = url;
    });
    const start = new URL(`${service}/auth/oauth/acme/authorize`);
    start.searchParams.set('redirect_uri', APP);
    start.searchParams.set('state', 'from-the-app');
    await page.goto(start.href).catch((error: Error) => {
      if (!/ERR_NAME_NOT_RESOLVED/.test(error.message)) throw error;
    });
    await expect.poll(() => landed?.href, { timeout: 15_000 }).toBeDefined();
    expect(landed!.origin + landed!.pathname).toBe(APP);
    expect(landed!.searchParams.get('state')).toBe('from-the-app');
    const tokens = await t.http
      .post('/auth/oauth/token')
      .send({ code: landed!.searchParams.get('code') });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(landed!.href).not.toContain(tokens.body.access_token as string);
  });
});
