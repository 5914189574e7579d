import path from 'node:path';

/** Which database to open: PostgreSQL by URL, or the embedded PGlite database in a data folder. */
export type DbConfig = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

/**
 * Reads `DATABASE_URL` and `DATA_DIR` (default `./data`). An empty `DATABASE_URL` counts as unset;
 * any scheme other than postgres(ql):// is refused rather than silently falling back to PGlite.
 */
export function getDbConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): DbConfig {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//i.test(url)) {
      throw new Error('DATABASE_URL must start with postgres:// or postgresql://');
    }
    return { kind: 'postgres', url };
  }
  return { kind: 'pglite', dataDir: path.resolve(/*turbopackIgnore: true*/ env.DATA_DIR?.trim() || 'data') };
}

/** The connection URL without its password, for log lines and messages. */
export function describeDbConfig(config: DbConfig): string {
  if (config.kind === 'pglite') return `embedded PGlite in ${config.dataDir}`;
  const url = new URL(config.url);
  if (url.password) url.password = '***';
  return `PostgreSQL ${url.toString()}`;
}
