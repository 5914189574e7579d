import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { acquireEmbeddedLock, type EmbeddedLock } from '@/lib/db/embedded-lock';

/**
 * The embedded database for running without a PostgreSQL server: PGlite in the data folder, one
 * process at a time.
 */

export interface EmbeddedPglite {
  readonly pglite: PGlite;
  readonly dataDir: string;
  /** Closes PGlite, then releases the lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the embedded PGlite database stored in `<dataDir>/pglite`, holding the single-process
 * lock `<dataDir>/pglite.lock` until `close()`. Throws `EmbeddedDbLockedError` if another live
 * process has it open.
 */
export async function openEmbeddedPglite(dataDir: string): Promise<EmbeddedPglite> {
  const lock = acquireEmbeddedLock(dataDir);
  try {
    const dir = path.join(path.resolve(dataDir), 'pglite');
    mkdirSync(dir, { recursive: true });
    const pglite = await PGlite.create(dir);
    return { pglite, dataDir: path.resolve(dataDir), close: closeOnce(pglite, lock) };
  } catch (error) {
    lock.release();
    throw error;
  }
}

function closeOnce(pglite: PGlite, lock: EmbeddedLock): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        // Only after PGlite has flushed and closed may another process open the folder.
        lock.release();
      }
    })();
    return closing;
  };
}
