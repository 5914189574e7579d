/**
 * `npm run db:migrate`: applies prisma/migrations to DATABASE_URL (PostgreSQL) or, when it is unset,
 * to the embedded PGlite database in DATA_DIR (default ./data), and prints what it applied.
 * Safe to run repeatedly and from several hosts at once (PostgreSQL advisory lock).
 */
import { describeDbConfig, getDbConfigFromEnv } from '../lib/db/config';
import { migrateDatabase } from '../lib/db/migrate';

async function main(): Promise<void> {
  const config = getDbConfigFromEnv();
  console.log(`Applying migrations to ${describeDbConfig(config)}`);
  const { applied, unknown } = await migrateDatabase(config);
  for (const name of applied) console.log(`  applied ${name}`);
  if (applied.length === 0) console.log('  nothing to apply: the database is up to date');
  if (unknown.length > 0) {
    console.warn(`  note: the database also records ${unknown.join(', ')}, which this release does not have`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
