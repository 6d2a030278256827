/**
 * The client as it ships (issue #23: "ESM with type declarations, no dependency beyond the
 * generated client"): the tarball `npm pack` makes of packages/client, its build included,
 * checked file by file. test/client/node-20.e2e-spec.ts and readme-login.e2e-spec.ts use it.
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_NAME, packClient, run, type PackedClient } from './packed-client.js';

/** Every `[subpath, condition, target]` of package.json "exports", nested conditions flattened. */
function exportTargets(exports: unknown, subpath = '.', condition = ''): string[][] {
  if (typeof exports === 'string') return [[subpath, condition, exports]];
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.entries(exports).flatMap(([key, value]) =>
    key.startsWith('.')
      ? exportTargets(value, key, '')
      : exportTargets(value, subpath, condition ? `${condition}.${key}` : key),
  );
}

/** The module specifiers a file imports, statically, dynamically or by require(). */
const importsOf = (text: string): string[] =>
  ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName);

describe('the client package as npm pack makes it', () => {
  let packed: PackedClient;
  beforeAll(async () => {
    packed = await packClient();
  }, 180_000);
  afterAll(() => packed?.remove());

  const has = (path: string) => packed.files.includes(posix.normalize(path));
  const textOf = (path: string) => readFile(join(packed.packageDir, path), 'utf8');

  it('is ESM, and every path in its exports and types names a file the tarball holds', () => {
    const { packageJson } = packed;
    expect(packageJson.name).toBe(CLIENT_NAME);
    expect(packageJson.type).toBe('module');
    const targets = exportTargets(packageJson.exports);
    expect(targets.map(([subpath]) => subpath)).toEqual(expect.arrayContaining(['.', './schema']));
    const paths = [...targets.map(([, , target]) => target!), packageJson.types, packageJson.main];
    for (const path of paths.filter((path) => path !== undefined)) {
      expect(path, 'a path inside the package').toMatch(/^\.\//);
      expect(has(path), `${path} is in the tarball`).toBe(true);
    }
  });

  it('declares the types of every entry and of every module it ships', () => {
    const targets = exportTargets(packed.packageJson.exports);
    for (const [subpath] of targets) {
      const types = targets.filter(
        ([path, condition]) => path === subpath && condition === 'types',
      );
      expect(types, `${subpath} has a "types" condition`).toHaveLength(1);
      // TypeScript takes the first condition it knows ("import" too): "types" comes first.
      expect(targets.find(([path]) => path === subpath)![1]).toBe('types');
      expect(types[0]![2]).toMatch(/\.d\.ts$/);
    }
    expect(packed.packageJson.types).toMatch(/\.d\.ts$/);
    const modules = packed.files.filter((file) => file.endsWith('.js'));
    expect(modules.length).toBeGreaterThan(0);
    for (const module of modules) {
      expect(has(module.replace(/\.js$/, '.d.ts')), `${module} has its .d.ts`).toBe(true);
    }
  });

  it('depends on openapi-fetch alone, and its code imports nothing else but its own files', async () => {
    expect(Object.keys(packed.packageJson.dependencies ?? {})).toEqual(['openapi-fetch']);
    // The declarations too: a type from elsewhere (node:, @types/...) breaks an app's tsc.
    const code = packed.files.filter((file) => /\.(js|d\.ts)$/.test(file));
    for (const file of code) {
      for (const specifier of importsOf(await textOf(file))) {
        if (specifier === 'openapi-fetch') continue;
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\.?\//);
        const target = posix.join(posix.dirname(file), specifier);
        const shipped = file.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target;
        expect(has(shipped), `${file} imports ${specifier}, which the tarball holds`).toBe(true);
      }
    }
  });

  it('ships its build, the sources its maps name and its README, nothing else', () => {
    const unexpected = packed.files.filter(
      (file) => !/^(package\.json|README\.md|dist\/.+|src\/[^/]+\.ts)$/.test(file),
    );
    expect(unexpected).toEqual([]);
  });

  it('carries the sources its source maps point to', async () => {
    const maps = packed.files.filter((file) => file.endsWith('.js.map'));
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(await textOf(map)) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      sources.forEach((source, index) => {
        const shipped = has(posix.join(posix.dirname(map), source));
        const inlined = typeof sourcesContent?.[index] === 'string';
        expect(shipped || inlined, `${map}: ${source} is neither shipped nor inlined`).toBe(true);
      });
    }
  });

  it('loads in Node as ESM, by its package name through its exports', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '--eval',
        `const client = await import('${CLIENT_NAME}'); console.log(Object.keys(client).sort().join())`,
      ],
      { cwd: packed.root, timeout: 30_000 },
    );
    expect(stdout.trim()).toBe(
      'ProblemError,SessionBusyError,createAuthClient,createPkce,memoryTokenStore',
    );
  });
});
