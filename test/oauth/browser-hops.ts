/**
 * A browser's part in a redirect flow, without a browser: follows redirects across the
 * provider (keeping its cookies) and hands requests for the service to the app under test,
 * until a redirect leaves for the app's own URL, which is returned.
 */
import type TestAgent from 'supertest/lib/agent.js';

export async function followToApp(
  http: TestAgent,
  serviceBase: string,
  appPrefix: string,
  start: string,
): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < 20; hop += 1) {
    if (url.startsWith(appPrefix)) return new URL(url);
    let location: string | undefined;
    if (url.startsWith(serviceBase)) {
      const response = await http.get(url.slice(serviceBase.length));
      if (response.status !== 302) {
        throw new Error(`service answered ${response.status}: ${response.text}`);
      }
      location = response.headers.location;
    } else {
      const response = await fetch(url, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const at = pair.indexOf('=');
        cookies.set(pair.slice(0, at), pair.slice(at + 1));
      }
      location = response.headers.get('location') ?? undefined;
      if (!location)
        throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    }
    if (!location) throw new Error(`${url} sent no Location`);
    url = new URL(location, url).href;
  }
  throw new Error('too many redirects');
}
