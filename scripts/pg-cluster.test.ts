/**
 * `restart()` of the throwaway cluster behaves like a PostgreSQL restart to its clients: open
 * sessions are cut, the server comes back on the same port with the same data.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from './pg-cluster';

describe('startPgCluster().restart()', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster({ database: 'tap_restart' });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('cuts open sessions and comes back on the same URL with the committed data', async () => {
    const before = new pg.Client({ connectionString: cluster.url });
    await before.connect();
    // The client reports the cut more than once; every report must be handled.
    const cut = new Promise<Error>((resolve) => before.on('error', resolve));
    await before.query('CREATE TABLE kept (id int PRIMARY KEY)');
    await before.query('INSERT INTO kept VALUES (1)');

    await cluster.restart();

    expect((await cut).message).toMatch(/terminat/i);
    await before.end().catch(() => undefined);
    const after = new pg.Client({ connectionString: cluster.url });
    await after.connect();
    try {
      expect((await after.query<{ id: number }>('SELECT id FROM kept')).rows).toEqual([{ id: 1 }]);
    } finally {
      await after.end();
    }
  });
});
