// Generates the Prisma client into lib/db/generated (run by `postinstall`, so by `npm ci`).
//
// Offline-safe: Prisma 7's `prisma-client` generator needs no native engine (queries are compiled
// by a WebAssembly compiler shipped in @prisma/client and run through driver adapters), but the CLI
// still resolves its native schema engine before generating and tries to download it. We point
// PRISMA_SCHEMA_ENGINE_BINARY at a stub that exits non-zero, so nothing is downloaded and any
// command that really needs the engine fails loudly instead of half-working.
//
// Idempotent and quick: skipped when the schema, the Prisma version and this script are unchanged
// since the last successful run and the generated client is present.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = path.join(root, 'prisma', 'schema.prisma');
const configPath = path.join(root, 'prisma.config.ts');
const generatedEntry = path.join(root, 'lib', 'db', 'generated', 'client.ts');
const cacheDir = path.join(root, 'node_modules', '.cache', 'tap-broker');
const stampPath = path.join(cacheDir, 'prisma-generate.sha256');
const stubEnginePath = path.join(cacheDir, 'schema-engine-unavailable');

const require = createRequire(import.meta.url);

function findPrismaCli() {
  try {
    const packageJson = require.resolve('prisma/package.json', { paths: [root] });
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8'));
    return { cli: path.join(path.dirname(packageJson), 'build', 'index.js'), version };
  } catch {
    return undefined;
  }
}

const prisma = findPrismaCli();
if (!prisma) {
  // `npm ci --omit=dev` on a machine that runs a prebuilt app: nothing to generate with.
  console.warn('[prisma-generate] the prisma CLI is not installed; skipping client generation');
  process.exit(0);
}

const stamp = createHash('sha256')
  .update(prisma.version)
  .update('\0')
  .update(readFileSync(schemaPath))
  .update('\0')
  .update(existsSync(configPath) ? readFileSync(configPath) : '')
  .update('\0')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest('hex');

if (existsSync(generatedEntry) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
  console.log('[prisma-generate] Prisma client is up to date');
  process.exit(0);
}

mkdirSync(cacheDir, { recursive: true });
writeFileSync(
  stubEnginePath,
  '#!/bin/sh\necho "Prisma\'s native schema engine is not installed here (offline); use npm run db:migrate" >&2\nexit 1\n',
);
chmodSync(stubEnginePath, 0o755);

const result = spawnSync(process.execPath, [prisma.cli, 'generate', '--schema', schemaPath], {
  cwd: root,
  stdio: 'inherit',
  timeout: 120_000,
  env: {
    ...process.env,
    // A developer who installed a real engine keeps it.
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || stubEnginePath,
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
    // No update check or telemetry call: both would wait on the network.
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});

if (result.status !== 0) {
  const why = result.error ? result.error.message : `exit code ${result.status ?? result.signal}`;
  console.error(`[prisma-generate] prisma generate failed (${why})`);
  process.exit(1);
}
writeFileSync(stampPath, stamp);
