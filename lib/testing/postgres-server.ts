// Test helper for the database layer's own tests, which must exercise PostgreSQL on every run:
// the orchestrator's server (TEST_DATABASE_URL) when there is one, else a private throwaway cluster.
import { startPgCluster } from '../../scripts/pg-cluster';

export interface TestPostgresServer {
  /** A URL whose user may CREATE DATABASE. */
  url: string;
  stop(): Promise<void>;
}

export async function getTestPostgresServer(): Promise<TestPostgresServer> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return { url, stop: async () => undefined };
  const cluster = await startPgCluster({ database: 'tap_test_admin' });
  return { url: cluster.url, stop: cluster.stop };
}
