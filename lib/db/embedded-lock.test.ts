import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { acquireEmbeddedLock, EmbeddedDbLockedError, getLockPath } from '@/lib/db/embedded-lock';

const dirs: string[] = [];
const children: ChildProcess[] = [];
function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tap-lock-'));
  dirs.push(dir);
  return dir;
}

/** A live process other than us, whose pid we can write into a lock file. */
async function startIdleProcess(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("ready"); setInterval(() => {}, 1000)'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', () => resolve());
  });
  if (child.pid === undefined) throw new Error('child has no pid');
  return child as ChildProcess & { pid: number };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

afterEach(async () => {
  for (const child of children.splice(0)) await stopProcess(child);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('acquireEmbeddedLock', () => {
  test('creates the lock with our pid and removes it on release', () => {
    const dataDir = tempDataDir();
    const lock = acquireEmbeddedLock(dataDir);
    expect(lock.lockPath).toBe(path.join(dataDir, 'pglite.lock'));
    expect(readFileSync(lock.lockPath, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lock.lockPath)).toBe(false);
    lock.release();
    // Free again: a new holder can take it.
    const again = acquireEmbeddedLock(dataDir);
    again.release();
  });

  test('refuses a second opener in the same process', () => {
    const dataDir = tempDataDir();
    const lock = acquireEmbeddedLock(dataDir);
    try {
      expect(() => acquireEmbeddedLock(dataDir)).toThrow(/already open in this process/);
      expect(readFileSync(lock.lockPath, 'utf8').trim()).toBe(String(process.pid));
    } finally {
      lock.release();
    }
  });

  test('refuses while another live process holds it, naming that process', async () => {
    const dataDir = tempDataDir();
    const holder = await startIdleProcess();
    writeFileSync(getLockPath(dataDir), `${holder.pid}\n`);

    let thrown: unknown;
    try {
      acquireEmbeddedLock(dataDir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EmbeddedDbLockedError);
    expect((thrown as EmbeddedDbLockedError).holderPid).toBe(holder.pid);
    expect((thrown as Error).message).toBe(
      `the embedded database in ${dataDir} is already open by process ${holder.pid}; stop it or set DATABASE_URL`,
    );
    // The live holder's lock is untouched.
    expect(readFileSync(getLockPath(dataDir), 'utf8').trim()).toBe(String(holder.pid));
  });

  test('takes over a lock left by a process that has died', async () => {
    const dataDir = tempDataDir();
    const holder = await startIdleProcess();
    writeFileSync(getLockPath(dataDir), `${holder.pid}\n`);
    await stopProcess(holder);

    const lock = acquireEmbeddedLock(dataDir);
    try {
      expect(readFileSync(lock.lockPath, 'utf8').trim()).toBe(String(process.pid));
    } finally {
      lock.release();
    }
  });

  test('takes over an empty or garbled lock file (a crash between create and write)', () => {
    const dataDir = tempDataDir();
    writeFileSync(getLockPath(dataDir), '');
    const lock = acquireEmbeddedLock(dataDir);
    expect(readFileSync(lock.lockPath, 'utf8').trim()).toBe(String(process.pid));
    lock.release();

    writeFileSync(getLockPath(dataDir), 'not a pid');
    const second = acquireEmbeddedLock(dataDir);
    expect(readFileSync(second.lockPath, 'utf8').trim()).toBe(String(process.pid));
    second.release();
  });

  test('release leaves alone a lock that someone else has taken over since', () => {
    const dataDir = tempDataDir();
    const lock = acquireEmbeddedLock(dataDir);
    writeFileSync(lock.lockPath, '999999999\n');
    lock.release();
    expect(readFileSync(lock.lockPath, 'utf8').trim()).toBe('999999999');
  });
});
