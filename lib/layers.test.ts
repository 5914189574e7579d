/**
 * The layer rules of `eslint.config.mjs` fail an upward import and a cycle: each case lints a
 * one-import module through ESLint's Node API, as `npx eslint` would, under the path of a real
 * file of that layer (the cycle rule reads the importer from disk, so the path must exist).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The first production module under `dir` (depth-first, sorted), so no case names a file that may be renamed. */
function productionFileIn(dir: string): string {
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'generated') continue;
      const found = productionFileIn(relative);
      if (found !== '') return found;
    } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$|test-support/.test(entry.name)) {
      return relative;
    }
  }
  return '';
}

/** The messages of the layer and cycle rules for a module at `filePath` that imports `specifier`. */
async function importProblems(filePath: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import * as imported from '${specifier}';\nexport const reexported = imported;\n`, { filePath: path.join(root, filePath) });
  if (result === undefined) throw new Error(`ESLint returned no result for ${filePath}`);
  return result.messages.filter((m) => m.ruleId?.startsWith('import/') || m.fatal === true).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer rules', () => {
  const forbidden: [layer: string, specifier: string][] = [
    ['lib/graph', '@/lib/broker/policy'],
    ['lib/graph', '../broker/policy'],
    ['lib/graph', '@/lib/audit/append-audit-event'],
    ['lib/graph', '@/lib/notify/enqueue-notifications'],
    ['lib/audit', '../notify/enqueue-notifications'],
    ['lib/notify', '@/lib/broker/request-tap'],
    ['lib/auth', '@/lib/http/problem'],
    ['lib/db', '@/lib/audit/append-audit-event'],
    ['lib/core', '@/lib/db/client'],
    ['lib/core', '../graph/client'],
    ['lib/broker', '@/lib/http/route'],
    ['lib/broker', '@/lib/client/format'],
    ['lib/broker', '@/lib/jobs/background-jobs'],
    ['lib/broker', '@/tenant/directory'],
    ['lib/broker', '@/lib/testing/local-tenant'],
    ['lib/http', '@/lib/broker/request-tap'],
    ['lib/http', '@/lib/db/rate-window'],
    ['lib/http', '@/lib/audit/append-audit-event'],
    ['lib/limits', '@/lib/broker/request-tap'],
    ['lib/limits', '@/lib/http/route'],
    ['lib/limits', '@/lib/graph/client'],
    ['lib/db', '@/lib/limits/check-api-budget'],
    ['lib/audit', '@/lib/limits/check-api-budget'],
    ['components', '@/lib/db/client'],
    ['components', '@/lib/broker/eligibility'],
    ['lib/client', '@/lib/core/errors'],
    ['lib/client', '../../tenant/directory'],
    ['app', '@/tenant/directory'],
    ['tenant', '@/lib/log'],
    ['lib/metrics', '@/lib/db/client'],
    ['lib/metrics', '@/lib/graph/client'],
    ['lib/metrics', '@/lib/http/route'],
    ['lib/db', '@/lib/metrics/registry'],
    ['lib/auth', '@/lib/metrics/registry'],
  ];

  it.each(forbidden)('%s may not import %s', async (layer, specifier) => {
    const filePath = productionFileIn(layer);
    expect(filePath, `a module in ${layer}`).not.toBe('');
    const problems = await importProblems(filePath, specifier);
    expect(problems).toEqual([expect.stringMatching(/^import\/no-restricted-paths: Unexpected path .* Layer /)]);
  });

  const allowed: [layer: string, specifier: string][] = [
    ['lib/graph', '@/lib/core/errors'],
    ['lib/graph', '../log'],
    ['lib/db', '@/lib/core/errors'],
    ['lib/audit', '@/lib/auth/actor'],
    ['lib/notify', '@/lib/graph/send-mail'],
    ['lib/notify', '@/lib/audit/append-audit-event'],
    ['lib/broker', '@/lib/db/transaction'],
    ['lib/broker', '@/lib/graph/get-target-facts'],
    ['lib/http', '@/lib/core/request-context'],
    ['lib/http', '@/lib/limits/check-api-budget'],
    ['lib/limits', '@/lib/db/rate-window'],
    ['lib/limits', '@/lib/audit/append-audit-event'],
    ['lib/limits', '@/lib/auth/actor'],
    ['lib/jobs', '@/lib/limits/check-api-budget'],
    ['app', '@/lib/limits/check-api-budget'],
    ['app', '@/lib/broker/request-tap'],
    ['app', '@/lib/http/route'],
    ['components', '@/lib/client/format'],
    ['lib/client', 'react'],
    ['lib/metrics', '@/lib/log'],
    ['lib/metrics', '@/lib/env'],
    ['lib/http', '@/lib/metrics/registry'],
    ['lib/graph', '@/lib/metrics/registry'],
    ['lib/broker', '@/lib/metrics/registry'],
    ['lib/jobs', '@/lib/metrics/metrics-server'],
  ];

  it.each(allowed)('%s may import %s', async (layer, specifier) => {
    expect(await importProblems(productionFileIn(layer), specifier)).toEqual([]);
  });

  it('lets tests cross layers to set things up', async () => {
    const test = readdirSync(path.join(root, 'lib/graph')).find((name) => name.endsWith('.test.ts'));
    expect(test).toBeDefined();
    expect(await importProblems(`lib/graph/${test}`, '@/lib/broker/eligibility')).toEqual([]);
  });
});

describe('cycle rule', () => {
  // The rule follows imports on disk, so the modules are real files; they live in a scratch
  // project outside the work tree, linted with this repository's config, so that an `eslint .`
  // running meanwhile never sees them.
  let project: string;
  let scratch: ESLint;

  function write(file: string, text: string): void {
    mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
    writeFileSync(path.join(project, file), text);
  }

  beforeAll(() => {
    project = mkdtempSync(path.join(tmpdir(), 'layers-'));
    symlinkSync(path.join(root, 'node_modules'), path.join(project, 'node_modules'), 'dir');
    mkdirSync(path.join(project, 'app'));
    write('lib/graph/first.ts', "import { second } from './second';\nexport const first = (): number => second() + 1;\n");
    write('lib/graph/second.ts', "import { first } from './first';\nexport const second = (): number => first() - 1;\n");
    write('tenant/first.ts', "import { second } from './graph/second';\nexport const first = (): number => second() + 1;\n");
    write('tenant/graph/second.ts', "import { first } from '../first';\nexport const second = (): number => first() - 1;\n");
    write('lib/audit/upper.ts', "import { lower } from './lower';\nexport const upper = (): number => lower() + 1;\n");
    write('lib/audit/lower.ts', 'export const lower = (): number => 1;\n');
    scratch = new ESLint({ cwd: project, overrideConfigFile: path.join(root, 'eslint.config.mjs') });
  });

  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  async function cycleProblems(files: string[]): Promise<Record<string, string[]>> {
    const results = await scratch.lintFiles(files);
    return Object.fromEntries(
      results.map((r) => [path.relative(project, r.filePath), r.messages.filter((m) => m.ruleId === 'import/no-cycle' || m.fatal === true).map((m) => m.message)]),
    );
  }

  it('reports both modules of a two-file cycle, in lib/ and in tenant/', async () => {
    expect(await cycleProblems(['lib/graph/first.ts', 'lib/graph/second.ts', 'tenant/first.ts', 'tenant/graph/second.ts'])).toEqual({
      'lib/graph/first.ts': ['Dependency cycle detected.'],
      'lib/graph/second.ts': ['Dependency cycle detected.'],
      'tenant/first.ts': ['Dependency cycle detected.'],
      'tenant/graph/second.ts': ['Dependency cycle detected.'],
    });
  });

  it('leaves an import that points one way alone', async () => {
    expect(await cycleProblems(['lib/audit/upper.ts', 'lib/audit/lower.ts'])).toEqual({ 'lib/audit/upper.ts': [], 'lib/audit/lower.ts': [] });
  });
});
