/**
 * Tests only: the child process of tap-crash.test.ts. Runs `issueTap` for one request against
 * the database named by DATABASE_URL / DATA_DIR and the Graph named by the portal env, exactly
 * as the portal would — and is SIGKILLed by the parent while the TAP create hangs in Graph.
 *
 * Run as `node --conditions=react-server --import tsx lib/broker/tap-crash-child.ts` (the
 * condition makes `server-only` resolve to its empty export outside Next).
 */
import type { Actor } from '@/lib/auth/actor';
import { issueTap } from '@/lib/broker/issue-tap';
import { logger } from '@/lib/log';

async function main(): Promise<void> {
  const actor = JSON.parse(process.env.CRASH_TEST_ACTOR ?? 'null') as Actor | null;
  const id = process.env.CRASH_TEST_REQUEST_ID;
  if (actor === null || id === undefined) throw new Error('CRASH_TEST_ACTOR and CRASH_TEST_REQUEST_ID are required');
  const result = await issueTap(actor, { id }, { requestId: 'crash-child', ip: null, userAgent: 'crash-child', log: logger });
  // Reaching this line means the create did not hang: the parent fails the test on it.
  process.stdout.write(`issued ${result.methodId}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`child failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
