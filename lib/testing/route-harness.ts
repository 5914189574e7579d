/**
 * For tests that call the real route modules under app/api the way Next calls them: a fresh,
 * migrated database behind `getDb()` (PostgreSQL when the suite has one, else embedded), and the
 * route handlers loaded by path.
 *
 * Route tests get an API budget none of them reaches (the matrix and the fuzzer call as one user
 * hundreds of times); a test of the budget itself sets its own after this.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closeDb } from '@/lib/db/client';
import { migrateDatabase } from '@/lib/db/migrate';
import { resetEnvForTests } from '@/lib/env';
import { createScratchPostgresDatabase } from '@/lib/testing/db';

export type RouteHandler = (request: Request, context: { params: Promise<Record<string, string | string[] | undefined>> }) => Promise<Response>;
type RouteModule = Partial<Record<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', RouteHandler>>;

/** Calls per user per window in route tests: the most the configuration allows. */
const ROUTE_TEST_API_BUDGET = 1_000_000;

/** Points the process-wide database at a fresh, migrated one; returns how to put things back. */
export async function useFreshRouteDatabase(): Promise<() => Promise<void>> {
  const saved = {
    DATABASE_URL: process.env.DATABASE_URL,
    DATA_DIR: process.env.DATA_DIR,
    API_BUDGET_PER_USER: process.env.API_BUDGET_PER_USER,
    API_BUDGET_WINDOW_SECONDS: process.env.API_BUDGET_WINDOW_SECONDS,
  };
  let drop: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  await closeDb();
  if (process.env.TEST_DATABASE_URL) {
    const scratch = await createScratchPostgresDatabase();
    drop = scratch.drop;
    await migrateDatabase({ kind: 'postgres', url: scratch.url });
    process.env.DATABASE_URL = scratch.url;
  } else {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'api-routes-'));
    await migrateDatabase({ kind: 'pglite', dataDir });
    delete process.env.DATABASE_URL;
    process.env.DATA_DIR = dataDir;
  }
  process.env.API_BUDGET_PER_USER = String(ROUTE_TEST_API_BUDGET);
  delete process.env.API_BUDGET_WINDOW_SECONDS;
  resetEnvForTests();
  return async () => {
    await closeDb();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    resetEnvForTests();
    await drop?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}

/** The handler `method` of `app/api/<modulePath>/route.ts`; a missing one fails the caller's test. */
export async function loadRouteHandler(modulePath: string, method: string): Promise<RouteHandler> {
  // A variable specifier: a route that does not exist yet fails here, in its own test.
  const specifier = `@/app/api/${modulePath}/route`;
  const mod = (await import(/* @vite-ignore */ specifier)) as RouteModule;
  const handler = mod[method as keyof RouteModule];
  if (!handler) throw new Error(`app/api/${modulePath}/route.ts exports no ${method}`);
  return handler;
}
