/**
 * After an end-to-end run: every pass the tests were given must appear nowhere the product
 * keeps anything — the database (every table, the audit trail included) and the portal's logs.
 */
import { readFileSync, existsSync } from 'node:fs';
import pg from 'pg';
import { openEmbeddedPglite } from '../../lib/db/embedded-pglite';

export interface LeakCheckResult {
  passesChecked: number;
  rowsScanned: number;
  leaks: string[];
}

const TABLES_SQL = `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name
  FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`;

async function databaseText(databaseUrl: string | undefined, dataDir: string): Promise<string[]> {
  const rows: string[] = [];
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const tables = await client.query<{ name: string }>(TABLES_SQL);
      for (const { name } of tables.rows) {
        const res = await client.query<{ t: string }>(`SELECT t::text AS t FROM ${name} t`);
        for (const r of res.rows) rows.push(r.t);
      }
    } finally {
      await client.end();
    }
    return rows;
  }
  const db = await openEmbeddedPglite(dataDir);
  try {
    const tables = await db.pglite.query<{ name: string }>(TABLES_SQL);
    for (const { name } of tables.rows) {
      const res = await db.pglite.query<{ t: string }>(`SELECT t::text AS t FROM ${name} t`);
      for (const r of res.rows) rows.push(r.t);
    }
  } finally {
    await db.close();
  }
  return rows;
}

export async function checkForLeakedPasses(opts: {
  passesFile: string;
  portalLog: string;
  databaseUrl?: string;
  dataDir: string;
}): Promise<LeakCheckResult> {
  const passes = existsSync(opts.passesFile)
    ? readFileSync(opts.passesFile, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0)
    : [];
  return findLeakedPasses({ ...opts, passes });
}

/** The same check for passes held in memory (the load campaign never writes them to a file). */
export async function findLeakedPasses(opts: { passes: Iterable<string>; portalLog: string; databaseUrl?: string; dataDir: string }): Promise<LeakCheckResult> {
  const passes = new Set(opts.passes);
  const rows = await databaseText(opts.databaseUrl, opts.dataDir);
  const leaks: string[] = [];
  const found = (texts: string[]) => countPassesIn(passes, texts);
  for (let n = found([opts.portalLog]); n > 0; n--) leaks.push(`a pass appears in the portal log`);
  for (let n = found(rows); n > 0; n--) leaks.push(`a pass appears in the database`);
  return { passesChecked: passes.size, rowsScanned: rows.length, leaks };
}

/**
 * How many of `passes` occur in `texts`: one pass over the text per pass length, looking each
 * window up in the set, so thousands of passes cost no more than a few.
 */
export function countPassesIn(passes: ReadonlySet<string>, texts: readonly string[]): number {
  const seen = new Set<string>();
  const lengths = new Set([...passes].map((p) => p.length).filter((l) => l > 0));
  for (const length of lengths) {
    for (const text of texts) {
      for (let i = 0; i + length <= text.length; i++) {
        const window = text.slice(i, i + length);
        if (passes.has(window)) seen.add(window);
      }
    }
  }
  return seen.size;
}
