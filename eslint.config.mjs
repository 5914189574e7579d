import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, globalIgnores } from 'eslint/config';
import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTs from 'eslint-config-next/typescript';

const root = path.dirname(fileURLToPath(import.meta.url));

/*
 * Layers: imports point down only, and the emulator stays apart from the portal.
 *
 *   boot      instrumentation.ts, lib/env-boot.ts, lib/observability-boot.ts, lib/jobs
 *                                                            starts the server and its workers
 *   app       app/ (routes, pages)                            calls lib/broker and lib/http
 *   http      lib/http    route adapter, problem+json         never a use case
 *   limits    lib/limits  request budgets                     counted in lib/db, audited; checked by lib/http
 *   broker    lib/broker  use cases, policy, eligibility
 *   adapters  lib/notify → lib/graph, lib/audit;  lib/audit → lib/auth;  lib/graph, lib/auth alone
 *   db        lib/db      Prisma client, transactions
 *   metrics   lib/metrics Prometheus registry, /metrics server, trace setup; imported by lib/http,
 *                         lib/graph, lib/broker and boot; imports only core (not lib/db: the boot
 *                         code hands it the database readings)
 *   core      lib/core (errors, request context), lib/log.ts, lib/env.ts
 *   contract  lib/contract  client-safe schemas: importable by every layer, imports only packages
 *   browser   components/, lib/client  import only each other and lib/contract
 *   tenant    tenant/     the emulator: imports only itself; no production file imports it
 *
 * lib/core is server-only (the request context carries the server's logger, errors.ts starts
 * with `import 'server-only'`): the browser gets the API's error codes from the responses.
 * Each layer lists what it may import (node_modules always); anything else in the repository
 * is an error. Test code (tests, lib/testing, scripts, e2e) may cross layers to set things up.
 * The rule resolves every import, so `@/lib/…` aliases and relative paths are caught alike.
 */
const TEST_CODE = ['**/*.test.ts', '**/*.test.tsx', '**/*test-support*', 'lib/testing/**'];
const CORE = ['lib/core', 'lib/log.ts', 'lib/env.ts', 'lib/contract'];
const SERVER = [...CORE, 'lib/db', 'lib/graph', 'lib/audit', 'lib/notify', 'lib/auth', 'lib/broker'];

const LAYERS = [
  { name: 'lib/contract', files: ['lib/contract/**'], mayImport: ['lib/contract'] },
  { name: 'lib/core', files: ['lib/core/**', 'lib/log.ts', 'lib/env.ts'], mayImport: CORE },
  { name: 'lib/db', files: ['lib/db/**'], mayImport: [...CORE, 'lib/db'] },
  { name: 'lib/metrics', files: ['lib/metrics/**'], mayImport: [...CORE, 'lib/metrics'] },
  { name: 'lib/graph', files: ['lib/graph/**'], mayImport: [...CORE, 'lib/db', 'lib/graph', 'lib/metrics'] },
  { name: 'lib/auth', files: ['lib/auth/**'], mayImport: [...CORE, 'lib/db', 'lib/auth'] },
  { name: 'lib/audit', files: ['lib/audit/**'], mayImport: [...CORE, 'lib/db', 'lib/audit', 'lib/auth'] },
  { name: 'lib/notify', files: ['lib/notify/**'], mayImport: [...CORE, 'lib/db', 'lib/notify', 'lib/graph', 'lib/audit'] },
  { name: 'lib/broker', files: ['lib/broker/**'], mayImport: [...SERVER, 'lib/metrics'] },
  { name: 'lib/limits', files: ['lib/limits/**'], mayImport: [...CORE, 'lib/db', 'lib/auth', 'lib/audit', 'lib/limits'] },
  { name: 'lib/http', files: ['lib/http/**'], mayImport: [...CORE, 'lib/auth', 'lib/limits', 'lib/http', 'lib/metrics'] },
  {
    name: 'boot',
    files: ['instrumentation.ts', 'lib/env-boot.ts', 'lib/observability-boot.ts', 'lib/jobs/**'],
    mayImport: [...SERVER, 'lib/limits', 'lib/metrics', 'lib/env-boot.ts', 'lib/observability-boot.ts', 'lib/jobs'],
  },
  { name: 'app', files: ['app/**'], mayImport: [...SERVER, 'lib/limits', 'lib/http', 'lib/client', 'components', 'app'] },
  { name: 'browser', files: ['components/**', 'lib/client/**'], mayImport: ['lib/contract', 'lib/client', 'components'] },
];

/** `import/no-restricted-paths` as an allow-list: the whole repository is off limits except `mayImport`. */
function layerRule({ name, files, mayImport, ignores = TEST_CODE }) {
  const allowed = [...mayImport, 'node_modules'];
  return {
    name: `layers/${name}`,
    files,
    ignores,
    rules: {
      'import/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            {
              target: '.',
              from: '.',
              except: allowed.map((p) => `./${p}`),
              message: `Layer ${name} may import only ${mayImport.join(', ')} (see the layer table in eslint.config.mjs).`,
            },
          ],
        },
      ],
    },
  };
}

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores(['.next/**', 'node_modules/**', 'data/**', 'lib/db/generated/**', 'test-results/**', 'playwright-report/**', 'next-env.d.ts']),
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Command-line entry points talk to a terminal on purpose.
    files: ['scripts/**', 'tenant/main.ts', 'tenant/generate.ts'],
    rules: { 'no-console': 'off' },
  },
  ...LAYERS.map(layerRule),
  // The emulator, tests included, imports nothing of the portal.
  layerRule({ name: 'tenant', files: ['tenant/**'], mayImport: ['tenant'], ignores: [] }),
  {
    // Every module, not only lib/ and tenant/: it costs about half of a lint run without it.
    name: 'layers/no-cycle',
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    // Packages cannot import our modules back: not parsing them keeps the cycle check cheap.
    settings: { 'import/ignore': ['node_modules'] },
    rules: { 'import/no-cycle': ['error', { ignoreExternal: true }] },
  },
]);
