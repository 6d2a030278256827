import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// The embedded PostgreSQL is a single session: test files take turns on it.
const onRealServer = Boolean(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL);

export default defineConfig({
  // SWC, not esbuild: Nest's dependency injection needs emitDecoratorMetadata.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: onRealServer,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/count-reporter.ts'],
  },
});
