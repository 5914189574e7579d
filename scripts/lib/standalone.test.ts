/**
 * The standalone folder's location follows the tracing root next.config.js computes, and
 * prepareStandalone's copies leave a target holding exactly its source without ever removing a
 * file a running server may be reading.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './stack';
import { assertNoLocalFilesTraced, getStandaloneDir, getTracingRoot, syncFolder } from './standalone';

describe('getStandaloneDir', () => {
  it('sits where the trace mirrors this repository: below .next/standalone, at its path under the tracing root', () => {
    const root = getTracingRoot();
    // The root holds the packages the server loads, wherever node_modules really is.
    expect(realpathSync(path.join(repoRoot, 'node_modules')).startsWith(root + path.sep)).toBe(true);
    expect(repoRoot === root || repoRoot.startsWith(root + path.sep)).toBe(true);
    expect(getStandaloneDir()).toBe(path.join(repoRoot, '.next', 'standalone', path.relative(root, repoRoot)));
  });
});

describe('syncFolder', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('overwrites changed files in place, adds new ones and removes what the source no longer has', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tap-sync-'));
    const source = path.join(dir, 'source');
    const target = path.join(dir, 'target');
    mkdirSync(path.join(source, '0001_init'), { recursive: true });
    writeFileSync(path.join(source, '0001_init', 'migration.sql'), 'new');
    writeFileSync(path.join(source, 'migration_lock.toml'), 'lock');
    mkdirSync(path.join(target, '0001_init'), { recursive: true });
    mkdirSync(path.join(target, '0099_gone'), { recursive: true });
    writeFileSync(path.join(target, '0001_init', 'migration.sql'), 'old');
    writeFileSync(path.join(target, '0001_init', 'stale.sql'), 'stale');

    syncFolder(source, target);
    syncFolder(source, target);

    expect(readFileSync(path.join(target, '0001_init', 'migration.sql'), 'utf8')).toBe('new');
    expect(readFileSync(path.join(target, 'migration_lock.toml'), 'utf8')).toBe('lock');
    expect(existsSync(path.join(target, '0001_init', 'stale.sql'))).toBe(false);
    expect(existsSync(path.join(target, '0099_gone'))).toBe(false);
  });

  it('removes the target when the source is absent', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tap-sync-'));
    mkdirSync(path.join(dir, 'target'));
    syncFolder(path.join(dir, 'missing'), path.join(dir, 'target'));
    expect(existsSync(path.join(dir, 'target'))).toBe(false);
  });
});

describe('assertNoLocalFilesTraced', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a standalone folder that holds local data, secrets or sources, naming them', () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tap-trace-'));
    writeFileSync(path.join(dir, 'server.js'), '');
    mkdirSync(path.join(dir, 'node_modules'));
    expect(() => assertNoLocalFilesTraced(dir)).not.toThrow();
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, '.env'), 'X=1');
    expect(() => assertNoLocalFilesTraced(dir)).toThrow(/holds data, \.env: a dynamic file read/);
  });
});
