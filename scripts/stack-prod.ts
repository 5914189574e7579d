/**
 * `npm run stack:prod [-- --instances=N]`: the production topology on this machine — PostgreSQL,
 * the local tenant, N portal instances from the standalone build (built first when stale) and
 * HAProxy in front (scripts/lib/prod-stack.ts). Prints the balancer's URL and each instance's, and
 * runs until Ctrl-C, then stops everything and deletes its data.
 */
import { startProdStack } from './lib/prod-stack';
import { isBuildStale, runNextBuild } from './lib/stack';
import { stopOnSignals } from './lib/stop-on-signals';

function getInstanceCount(argv: string[]): number {
  const arg = argv.find((a) => a.startsWith('--instances='));
  if (arg === undefined) return 3;
  const count = Number(arg.slice('--instances='.length));
  if (!Number.isInteger(count) || count < 1 || count > 32) throw new Error(`--instances must be a whole number from 1 to 32, got "${arg}"`);
  return count;
}

async function main() {
  const instances = getInstanceCount(process.argv.slice(2));
  if (isBuildStale()) {
    console.log('Building the portal (first start, or sources changed)…');
    await runNextBuild();
  }
  const stack = await startProdStack({ instances });
  console.log(`\n  TAP Broker behind HAProxy: ${stack.balancerUrl}`);
  for (const instance of stack.instances) console.log(`    instance ${instance.index + 1}: ${instance.url} (pid ${instance.pid()})`);
  console.log(`  Local tenant: ${stack.tenantUrl}/ (tenant ${stack.tenantId}); its certificate: ${stack.certPath}`);
  console.log(`  PostgreSQL: ${stack.databaseUrl}`);
  console.log('\n  Press Ctrl+C to stop.\n');
  stopOnSignals(() => stack.stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
