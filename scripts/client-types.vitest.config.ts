import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// `npm run client:generate`: only the schema drift test, with no database set up for it.
export default defineConfig({
  root: new URL('..', import.meta.url).pathname,
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: { include: ['test/client/schema-drift.e2e-spec.ts'] },
});
