/**
 * `npm run tenant`: runs the local tenant on its own.
 *
 *   TENANT_PORT   HTTPS port (default 8443)
 *   TENANT_SEED   seed file (default: the bundled demo org, tenant/demo-org.json)
 *   DATA_DIR      where the certificate and signing key live (default ./data)
 *   TENANT_FAULT_LATENCY_MS, TENANT_FAULT_THROTTLE_RATE, TENANT_FAULT_RETRY_AFTER   start-up Graph faults
 *
 * Prints one line when ready; exits non-zero with the validation message on a bad seed.
 */
import { SeedError } from './seed';
import { startTenant } from './server';

async function main(): Promise<void> {
  const portRaw = process.env.TENANT_PORT ?? '8443';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`TENANT_PORT must be a port number, got "${portRaw}"`);
  }
  const seed = process.env.TENANT_SEED && process.env.TENANT_SEED.trim() !== '' ? process.env.TENANT_SEED : undefined;
  const dataDir = process.env.DATA_DIR && process.env.DATA_DIR.trim() !== '' ? process.env.DATA_DIR : './data';
  const tenant = await startTenant({ port, dataDir, ...(seed ? { seed } : {}) });
  console.log(`local tenant ready at ${tenant.url} (tenant ${tenant.ctx.directory.tenantId})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    tenant.close().then(
      () => process.exit(signal === 'SIGINT' ? 130 : 0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof SeedError) console.error(`local tenant: ${err.message}`);
  else console.error(`local tenant failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
