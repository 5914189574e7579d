/**
 * Run by `npm start` (scripts/start.ts) between the migrations and the portal's start, in a
 * process of its own with `--conditions=react-server` so the broker's core loads as it does in
 * the server:
 *
 *   node --conditions=react-server --import tsx scripts/lib/enable-demo-step-up.ts <context id>
 *
 * The database comes from DATABASE_URL, else DATA_DIR (the embedded one, which only one process
 * may hold: this one exits before the portal opens it). Stores step-up for issue with the context
 * when the policy is still the built-in version 1 (`enableDefaultStepUp`), then prints one JSON
 * line: `{ "changed", "stepUpAuthContextId", "stepUpRequiredFor" }` of the policy now in force.
 */
import { randomUUID } from 'node:crypto';
import { systemContext } from '../../lib/core/request-context';
import { enableDefaultStepUp } from '../../lib/broker/enable-default-step-up';
import { getCurrentPolicy } from '../../lib/broker/get-policy';
import { getStepUpRequiredFor } from '../../lib/broker/step-up';
import { getDbConfigFromEnv, openDb } from '../../lib/db/client';
import { logger } from '../../lib/log';

async function main(): Promise<void> {
  const authContextId = process.argv[2] ?? '';
  const db = await openDb(getDbConfigFromEnv());
  try {
    const changed = await enableDefaultStepUp(db.prisma, authContextId, systemContext(logger, `start-${randomUUID()}`));
    const policy = await getCurrentPolicy(db.prisma);
    process.stdout.write(
      `${JSON.stringify({ changed: changed !== null, stepUpAuthContextId: policy.stepUpAuthContextId, stepUpRequiredFor: getStepUpRequiredFor(policy) })}\n`,
    );
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
