/**
 * Writes src/metadata.ts: what the @nestjs/swagger CLI plugin learns from the DTOs' types,
 * validators and JSDoc. The app loads it at start-up, so the build (tsc) and the tests (SWC
 * under Vitest) document the same schemas without the plugin running inside either compiler.
 */
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';

const sourceDirectory = new URL('../src', import.meta.url).pathname;
const output = `${sourceDirectory}/metadata.ts`;

const previous = (() => {
  try {
    return { text: readFileSync(output, 'utf8'), modifiedAt: statSync(output).mtime };
  } catch {
    return undefined;
  }
})();

// The generator type-checks the app, which imports this very file: start from an empty one,
// also when a DTO moved and the last run's file names a path that no longer exists.
writeFileSync(output, 'export default async () => ({});\n');

new PluginMetadataGenerator().generate({
  visitors: [
    new ReadonlyVisitor({
      pathToSource: sourceDirectory,
      classValidatorShim: true,
      introspectComments: true,
      dtoFileNameSuffix: ['.dto.ts'],
    }),
  ],
  outputDir: sourceDirectory,
  filename: 'metadata.ts',
  tsconfigPath: 'tsconfig.build.json',
  printDiagnostics: false,
});

// Unchanged metadata keeps its file's time: a test that rebuilds dist/ when a source is newer
// than the build (test/faults/service-process.ts) must not rebuild it under another test run
// that is starting the built service, only because this script ran again.
if (previous && readFileSync(output, 'utf8') === previous.text) {
  utimesSync(output, previous.modifiedAt, previous.modifiedAt);
}
