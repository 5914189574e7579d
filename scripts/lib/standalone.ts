/**
 * The portal as the image runs it: Next's standalone output (`output: 'standalone'` in
 * next.config.js) made complete by `prepareStandalone()`, and the one entry command both the
 * Dockerfile and `npm run stack:prod` start. scripts/lib/container-files.test.ts holds the
 * Dockerfile and compose.yaml to what this file says.
 */
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './stack';

/** How one portal instance is started, in the image and by `npm run stack:prod`. */
export interface InstanceEntry {
  /** argv, run with the standalone folder as the working directory. */
  command: string[];
  /** The variable `server.js` reads its port from. */
  portEnv: 'PORT';
  /** The variable `server.js` reads the address to bind from (the image binds every interface). */
  hostEnv: 'HOSTNAME';
  /** The port the image listens on. */
  containerPort: number;
  /** Readiness: what the balancer and the image's HEALTHCHECK ask. */
  healthPath: string;
  /** Liveness: the script asks it through the balancer, which has no readiness of its own. */
  livenessPath: string;
  /** The one-off migration step of a deploy (compose service `migrate`), same working directory. */
  migrateCommand: string[];
}

/** The single description of the instance entry; see `InstanceEntry`. */
export function getInstanceEntryCommand(): InstanceEntry {
  return {
    command: ['node', 'server.js'],
    portEnv: 'PORT',
    hostEnv: 'HOSTNAME',
    containerPort: 3000,
    healthPath: '/api/health/ready',
    livenessPath: '/api/health',
    migrateCommand: ['node', 'db-migrate.js'],
  };
}

/**
 * The folder tracing starts from (next.config.js): the repository in a plain checkout, a parent
 * when node_modules is a symlink into another checkout (git worktrees).
 */
export function getTracingRoot(): string {
  const config = createRequire(__filename)(path.join(repoRoot, 'next.config.js')) as { outputFileTracingRoot?: string };
  return config.outputFileTracingRoot ?? repoRoot;
}

/**
 * Where `server.js` lands: `.next/standalone/` mirrors the tracing root, so below it sits this
 * repository's path relative to that root (empty in a plain checkout and in the image).
 */
export function getStandaloneDir(): string {
  return path.join(repoRoot, '.next', 'standalone', path.relative(getTracingRoot(), repoRoot));
}

/** The files Next leaves out of the standalone output by design, and where they go inside it. */
const copies = [
  // Next serves the hashed client bundles and public files from here; the trace has neither.
  { from: ['.next', 'static'], to: ['.next', 'static'] },
  { from: ['public'], to: ['public'] },
  // The migration runner reads `<cwd>/prisma/migrations` (lib/db/migrate.ts), and so does the
  // readiness check, which compares the applied migrations with the release's.
  { from: ['prisma', 'migrations'], to: ['prisma', 'migrations'] },
];

/** Makes `target` hold exactly what `source` holds (nothing, when it is absent). */
export function syncFolder(source: string, target: string): void {
  if (!existsSync(source)) return rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true, force: true });
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(target, relative), { withFileTypes: true })) {
      const entryPath = path.join(relative, entry.name);
      if (!existsSync(path.join(source, entryPath))) rmSync(path.join(target, entryPath), { recursive: true, force: true });
      else if (entry.isDirectory()) walk(entryPath);
    }
  };
  walk('');
}

/**
 * Completes `.next/standalone` after `next build`: copies the static bundles, `public` and the
 * migrations in, and bundles scripts/db-migrate.ts into `db-migrate.js` beside `server.js` (its
 * packages come from the traced node_modules). Idempotent, and safe while servers run from the
 * folder: files are overwritten in place, never removed first.
 * @returns the folder holding `server.js`
 * @throws when there is no standalone build to complete
 */
/**
 * What must never ride along into the standalone output: a dynamic file read Turbopack cannot
 * scope makes it trace the whole project (lib/db/migrate.ts `readMigrations` says how that
 * happened once), and with it the local database, keys and `.env`.
 */
const NEVER_TRACED = ['data', 'secrets', '.env', 'app', 'e2e'];

/** Throws when the build traced local files into `dir` (see {@link NEVER_TRACED}). */
export function assertNoLocalFilesTraced(dir: string): void {
  const found = NEVER_TRACED.filter((name) => existsSync(path.join(dir, name)));
  if (found.length > 0) {
    throw new Error(`the standalone build in ${dir} holds ${found.join(', ')}: a dynamic file read made Next trace the whole project (look for "Dynamic filesystem access" in the build's warnings); fix it and build again`);
  }
}

export async function prepareStandalone(): Promise<string> {
  const dir = getStandaloneDir();
  if (!existsSync(path.join(dir, 'server.js'))) {
    throw new Error(`no standalone build at ${dir}: run next build first (next.config.js sets output: 'standalone')`);
  }
  assertNoLocalFilesTraced(dir);
  for (const { from, to } of copies) syncFolder(path.join(repoRoot, ...from), path.join(dir, ...to));
  await build({
    entryPoints: [path.join(repoRoot, 'scripts', 'db-migrate.ts')],
    outfile: path.join(dir, 'db-migrate.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    tsconfig: path.join(repoRoot, 'tsconfig.json'),
    // PGlite reads its WASM files next to its own module and pg loads optional natives: both stay
    // packages, which the portal's trace has already put into the standalone node_modules.
    external: ['@electric-sql/pglite', 'pg', 'pg-native'],
    logLevel: 'warning',
  });
  return dir;
}
