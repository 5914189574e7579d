/**
 * `npm start`: builds the portal if needed, applies migrations, starts the local tenant and the
 * portal wired to it, and prints the URL and the demo accounts. `npm run dev` does the same with
 * `next dev`. Configuration: PORT, TENANT_PORT, TENANT_SEED, DATABASE_URL, DATA_DIR (README).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { demoSeedPath, isBuildStale, runNextBuild, startStack } from './lib/stack';

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return port;
}

type DemoSeed = {
  demoAccounts?: { password?: string; signInAs?: { user: string; why: string }[] };
};

function printDemoAccounts(seedPath: string) {
  const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as DemoSeed;
  const accounts = seed.demoAccounts?.signInAs ?? [];
  if (accounts.length === 0) return;
  console.log('\n  Demo accounts:');
  for (const a of accounts) console.log(`    ${a.user.padEnd(32)} ${a.why}`);
  if (seed.demoAccounts?.password) console.log(`\n  Password for every demo account: ${seed.demoAccounts.password}`);
}

async function main() {
  const dev = process.argv.includes('--dev');
  const portalPort = portFrom('PORT', 3000);
  const tenantPort = portFrom('TENANT_PORT', 8443);
  const dataDir = path.resolve(process.env.DATA_DIR || 'data');
  const seedPath = process.env.TENANT_SEED ? path.resolve(process.env.TENANT_SEED) : demoSeedPath;
  const databaseUrl = process.env.DATABASE_URL || undefined;

  if (!dev && isBuildStale()) {
    console.log('Building the portal (first start, or sources changed)…');
    await runNextBuild();
  }

  const stack = await startStack({ portalPort, tenantPort, dataDir, seedPath, databaseUrl, dev });

  console.log(`\n  TAP Broker is running: ${stack.portalUrl}`);
  console.log(`  Local tenant (Entra ID + Microsoft Graph stand-in): ${stack.tenantUrl}/ (tenant ${stack.tenantId})`);
  console.log(`  Database: ${databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded, in ${path.join(dataDir, 'pglite')}`}`);
  console.log(
    `\n  The local tenant uses a certificate generated on this machine (${stack.certPath}).` +
      `\n  The first time, your browser will ask you to accept it; the portal shows a link when it is needed.`,
  );
  if (stack.portalEnv.MAIL_SENDER) console.log(`  Mail the portal sends (notifications): ${stack.tenantUrl}/_tenant/mail.html`);
  if (seedPath === demoSeedPath) printDemoAccounts(seedPath);
  console.log('\n  Press Ctrl+C to stop.\n');

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
