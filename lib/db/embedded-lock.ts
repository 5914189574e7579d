import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * PGlite is PostgreSQL compiled to WebAssembly running inside one process, without the
 * postmaster's shared-memory coordination: a second process opening the same data directory
 * corrupts it. This lock file (created with O_EXCL, holding the owner's pid) makes a second
 * opener fail loudly instead.
 */
export class EmbeddedDbLockedError extends Error {
  override readonly name = 'EmbeddedDbLockedError';
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      holderPid === process.pid
        ? `the embedded database in ${dataDir} is already open in this process; use getDb() instead of opening it twice`
        : `the embedded database in ${dataDir} is already open by process ${holderPid}; stop it or set DATABASE_URL`,
    );
  }
}

export interface EmbeddedLock {
  readonly lockPath: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Lock files this process holds, so a second open in the same process is refused too. */
const heldLocks = new Set<string>();

export function getLockPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'pglite.lock');
}

/**
 * Takes the embedded-database lock for `dataDir`, taking over a lock left by a process that no
 * longer exists. Throws {@link EmbeddedDbLockedError} when a live process (or this one) holds it.
 */
export function acquireEmbeddedLock(dataDir: string): EmbeddedLock {
  const lockPath = getLockPath(dataDir);
  mkdirSync(path.dirname(lockPath), { recursive: true });
  if (heldLocks.has(lockPath)) throw new EmbeddedDbLockedError(path.resolve(dataDir), process.pid);

  // Two attempts: the second follows the removal of a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(lockPath)) return register(lockPath);
    const holder = readHolderPid(lockPath);
    if (holder === undefined) continue; // vanished between our open and read: try again
    if (holder !== process.pid && isAlive(holder)) {
      throw new EmbeddedDbLockedError(path.resolve(dataDir), holder);
    }
    takeOverStaleLock(lockPath, holder);
  }
  const holder = readHolderPid(lockPath) ?? -1;
  throw new EmbeddedDbLockedError(path.resolve(dataDir), holder);
}

function tryCreate(lockPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o600);
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Moves the stale file aside under a name unique to us before deleting it. If another process
 * took it over first, what we moved is its fresh lock: we put it back and let the next attempt
 * report that process as the holder. (A window of a few microseconds remains between our check
 * and our rename; it needs two processes starting at the same instant after a crash.)
 */
function takeOverStaleLock(lockPath: string, stalePid: number): void {
  const aside = `${lockPath}.stale-${process.pid}`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw error;
  }
  const moved = readHolderPid(aside);
  if (moved !== stalePid && moved !== undefined && isAlive(moved)) {
    renameSync(aside, lockPath);
    return;
  }
  unlinkSync(aside);
}

function register(lockPath: string): EmbeddedLock {
  heldLocks.add(lockPath);
  const releaseOnExit = () => release();
  // 'exit' covers normal termination and process.exit(); a kill -9 leaves a stale lock, which the
  // next opener takes over because the pid is gone.
  process.once('exit', releaseOnExit);
  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    heldLocks.delete(lockPath);
    process.removeListener('exit', releaseOnExit);
    if (readHolderPid(lockPath) === process.pid) {
      try {
        unlinkSync(lockPath);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
  }
  return { lockPath, release };
}

function readHolderPid(lockPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const pid = Number.parseInt(text.trim(), 10);
  // An empty or garbled file (a crash between create and write) names nobody: treat as stale.
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user — still a live holder.
    return isErrno(error, 'EPERM');
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
