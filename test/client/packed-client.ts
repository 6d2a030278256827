/**
 * The client package as `npm pack` makes it (issue #23), unpacked where an app would have it:
 * `<root>/node_modules/@whazz-audio/auth-client`, with only its declared dependencies beside
 * it. Packed from a copy of packages/client in a temporary folder, so packages/client/dist is
 * never written and CI's two test runs side by side never meet.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
export const CLIENT_NAME = '@whazz-audio/auth-client';

export interface PackageJson {
  name: string;
  type?: string;
  exports?: unknown;
  types?: string;
  main?: string;
  dependencies?: Record<string, string>;
}

export interface PackedClient {
  /** An app's folder: a script written here imports the client by its package name. */
  root: string;
  /** The unpacked package. */
  packageDir: string;
  packageJson: PackageJson;
  /** Every file of the tarball, relative to the package, with `/` separators. */
  files: string[];
  remove(): Promise<void>;
}

/**
 * npm passes its own settings down as npm_config_* variables: CI's second run says
 * `npm test --ignore-scripts`, which would skip the prepack build. The pack runs as a user's.
 */
function withoutNpmSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
  );
}

/** Links `name` from the repository's node_modules into `root`'s, as an install would put it. */
export async function linkDependency(root: string, name: string): Promise<void> {
  const target = join(root, 'node_modules', name);
  await mkdir(dirname(target), { recursive: true });
  await symlink(join(REPOSITORY, 'node_modules', name), target, 'dir');
}

export async function packClient(): Promise<PackedClient> {
  const root = await mkdtemp(join(tmpdir(), 'whazz-client-pack-'));
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    const source = join(root, 'source');
    const workspace = join(REPOSITORY, 'packages', 'client');
    const leftOut = [join(workspace, 'dist'), join(workspace, 'node_modules')];
    await cp(workspace, source, { recursive: true, filter: (path) => !leftOut.includes(path) });
    // The build's tsc and the package's openapi-fetch, where the workspace finds them.
    await symlink(join(REPOSITORY, 'node_modules'), join(source, 'node_modules'), 'dir');
    await run(
      'npm',
      ['pack', '--ignore-scripts=false', '--logs-max=0', '--pack-destination', root],
      { cwd: source, env: withoutNpmSettings(), timeout: 180_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      // tsc says what is wrong on stdout, which the error's message leaves out.
      throw new Error(`npm pack of packages/client failed:\n${error.stdout}${error.stderr}`);
    });
    const tarball = (await readdir(root)).find((file) => file.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack wrote no tarball');

    const packageDir = join(root, 'node_modules', ...CLIENT_NAME.split('/'));
    await mkdir(packageDir, { recursive: true });
    await run('tar', ['-xzf', join(root, tarball), '-C', packageDir, '--strip-components=1']);
    await rm(source, { recursive: true, force: true });
    await rm(join(root, tarball));

    const packageJson = JSON.parse(
      await readFile(join(packageDir, 'package.json'), 'utf8'),
    ) as PackageJson;
    for (const dependency of Object.keys(packageJson.dependencies ?? {})) {
      await linkDependency(root, dependency);
    }
    const files = (await readdir(packageDir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) =>
        relative(packageDir, join(entry.parentPath, entry.name)).replaceAll('\\', '/'),
      )
      .sort();
    return { root, packageDir, packageJson, files, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
