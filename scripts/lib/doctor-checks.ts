/**
 * Run by `npm run doctor` and `npm start` (scripts/lib/doctor.ts) in a process of its own with
 * `--conditions=react-server`, so the broker's core loads as it does in the server:
 *
 *   node --conditions=react-server --import tsx scripts/lib/doctor-checks.ts [--user <upn|id>]
 *
 * Runs every configuration check once (lib/broker/get-configuration-checks.ts) and prints one
 * JSON line, `{ "checks": [...] }`. The database is needed only for the broker policy: when
 * DATABASE_URL / DATA_DIR names none (or it cannot be opened), the lifetime check says so
 * instead. An invalid configuration is one failing `configuration` check listing every problem.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { HealthCheck } from '../../lib/contract/session';
import { getConfigurationChecks, type PolicySource } from '../../lib/broker/get-configuration-checks';
import { getCurrentPolicy } from '../../lib/broker/get-policy';
import { getDbConfigFromEnv, openDb, type DbConfig, type OpenDb } from '../../lib/db/client';
import { describeDbConfig } from '../../lib/db/config';
import { EmbeddedDbLockedError } from '../../lib/db/embedded-lock';
import { EnvError, getEnv } from '../../lib/env';
import { logger } from '../../lib/log';

/** The broker policy in force, or why it cannot be read; never the database's error text (it may name credentials). */
async function readPolicy(): Promise<PolicySource> {
  let config: DbConfig;
  try {
    config = getDbConfigFromEnv();
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : 'DATABASE_URL is invalid' };
  }
  if (config.kind === 'pglite' && !existsSync(path.join(config.dataDir, 'pglite'))) {
    return { unavailable: `no database in ${config.dataDir} (DATA_DIR; or set DATABASE_URL)` };
  }
  let db: OpenDb;
  try {
    db = await openDb(config);
  } catch (error) {
    if (error instanceof EmbeddedDbLockedError) return { unavailable: `${describeDbConfig(config)} is held by the running portal (process ${error.holderPid})` };
    return { unavailable: `${describeDbConfig(config)} could not be opened` };
  }
  try {
    return { policy: await getCurrentPolicy(db.prisma) };
  } catch {
    return { unavailable: `${describeDbConfig(config)} could not be read (not reachable, or not migrated: \`npm run db:migrate\`)` };
  } finally {
    await db.close();
  }
}

function configurationFailure(error: EnvError): HealthCheck {
  return {
    id: 'configuration',
    status: 'fail',
    detail: `The configuration is invalid: ${error.issues.join('; ')}.`,
    fix: 'Run `npm run setup:entra` (it writes the Entra ID values to .env), or correct the variables named here (README: Configuration).',
  };
}

async function main(): Promise<void> {
  const userIndex = process.argv.indexOf('--user');
  const user = userIndex === -1 ? undefined : process.argv[userIndex + 1];
  let checks: HealthCheck[];
  try {
    getEnv();
    checks = await getConfigurationChecks(await readPolicy(), { log: logger, ...(user === undefined ? {} : { user }) });
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    checks = [configurationFailure(error)];
  }
  process.stdout.write(`${JSON.stringify({ checks })}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
