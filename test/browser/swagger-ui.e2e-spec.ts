/**
 * Swagger UI and ReDoc in a real browser (issue #6): Debian's Chromium driven by
 * playwright-core, never a downloaded browser. Screenshots go to test/artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium } from './chromium.js';
import { createTestApp, type TestApp } from '../create-test-app.js';
import { newSignup } from '../factories/user.factory.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

describe.runIf(hasChromium())('the API docs in Chromium', () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Opens an operation, presses "Try it out", optionally fills the body, and executes it. */
  async function tryOperation(operationId: string, body?: object): Promise<string> {
    const operation = page.locator(`[id$="-${operationId}"]`).first();
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    if (body) await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await operation.locator('button.execute').click();
    const response = operation
      .locator('.live-responses-table .response-col_description pre')
      .first();
    await response.waitFor({ timeout: 15_000 });
    return response.innerText();
  }

  it('signs up, logs in, authorises and calls /auth/me through "Try it out"', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui .information-container').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}swagger-ui.png`, fullPage: false });

    const account = newSignup();
    const created = JSON.parse(await tryOperation('AuthController_signup', account)) as {
      username: string;
    };
    expect(created.username).toBe(account.username);

    const tokens = JSON.parse(
      await tryOperation('AuthController_login', {
        username_or_email: account.username,
        password: account.password,
      }),
    ) as { access_token: string };
    expect(tokens.access_token).toMatch(/^ey/);

    await page.locator('button.authorize').first().click();
    await page.locator('.modal-ux input[type=text]').first().fill(tokens.access_token);
    await page.locator('.modal-ux button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();

    const me = JSON.parse(await tryOperation('AuthController_me')) as { username: string };
    expect(me.username).toBe(account.username);
    await page.screenshot({ path: `${ARTIFACTS}swagger-ui-me.png`, fullPage: false });
    // The Content-Security-Policy must let the page run: no blocked script or style.
    expect(errors.filter((error) => /Content Security Policy|Refused/.test(error))).toEqual([]);
  }, 90_000);

  it('ReDoc lists every route of the OpenAPI document', async () => {
    const document = (await t.http.get('/docs-json')).body as {
      paths: Record<string, Record<string, { summary?: string; operationId: string }>>;
    };
    await page.goto(`${baseUrl}/redoc`);
    await page.locator('.menu-content').waitFor({ timeout: 20_000 });
    const text = await page.locator('body').innerText();
    const paths = Object.keys(document.paths);
    expect(paths.length).toBeGreaterThan(15);
    for (const path of paths) expect(text, path).toContain(path);
    await page.screenshot({ path: `${ARTIFACTS}redoc.png`, fullPage: false });
  }, 60_000);
});
