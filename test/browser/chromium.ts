import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the browser tests run on it, never on a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether this machine has it; without it the browser tests are skipped. */
export const hasChromium = () => existsSync(CHROMIUM);

/** Headless Chromium as every browser test runs it; `extraArgs` for what one test needs more. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // This machine has no network: Chromium's own background traffic would only fail.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
