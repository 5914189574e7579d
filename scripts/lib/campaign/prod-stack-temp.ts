/**
 * TEMPORARY stand-in for scripts/lib/prod-stack.ts (being written on another branch): the same
 * interface over the single-instance pieces of scripts/lib/stack.ts and a throwaway PostgreSQL,
 * `instances` portals (`next start`) with no balancer (the balancer URL is instance 0's).
 * Deleted once prod-stack.ts is merged.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCertificate } from '../../../tenant/cert';
import { startTenant, type RunningTenant } from '../../../tenant/server';
import { migrateDatabase } from '../../../lib/db/migrate';
import { findFreePort, startPgCluster } from '../../pg-cluster';
import { demoSeedPath, getLocalPortalProcessEnv, getLocalTenantPortalEnv, readSeedForPortal, spawnPortal, stopChild, waitForPortal } from '../stack';

export interface ProdStackOptions { instances: number; seedPath?: string; env?: Record<string, string>; notifications?: boolean; logLevel?: string; onOutput?: (source: string, chunk: string) => void; }
export interface ProdInstance { index: number; port: number; url: string; pid(): number | undefined; }
export interface ProdStack {
  balancerUrl: string; tenantUrl: string; tenantId: string; databaseUrl: string; certPath: string;
  tenant: RunningTenant;
  instances: ProdInstance[];
  killInstance(index: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: string | null }>;
  startInstance(index: number): Promise<void>;
  restartPostgres(): Promise<void>;
  failOverBalancer(): Promise<void>;
  stop(): Promise<void>;
}

export async function startProdStack(options: ProdStackOptions): Promise<ProdStack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'campaign-stack-'));
  const cert = await ensureCertificate(dataDir);
  const pg = await startPgCluster();
  const ports = await Promise.all(Array.from({ length: options.instances }, () => findFreePort()));
  const seed = readSeedForPortal(options.seedPath ?? demoSeedPath, `http://localhost:${ports[0]}`);
  const tenant = await startTenant({ port: await findFreePort(), dataDir, seed });
  await migrateDatabase({ kind: 'postgres', url: pg.url });
  const children: (ChildProcess | undefined)[] = [];
  const envFor = (port: number) =>
    getLocalPortalProcessEnv({
      PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: options.logLevel ?? 'info', ...getLocalTenantPortalEnv(tenant.url, tenant.ctx.directory),
      ALLOW_INSECURE_LOCAL_TENANT: 'true', NODE_EXTRA_CA_CERTS: cert.certPath, NEXT_TELEMETRY_DISABLED: '1', PORTAL_URL: `http://localhost:${port}`, DATABASE_URL: pg.url, ...options.env,
    });
  const start = async (i: number) => {
    const port = ports[i]!;
    const child = spawnPortal({ port, dev: false, env: envFor(port), onOutput: (chunk) => options.onOutput?.(`instance ${i}`, chunk) });
    children[i] = child;
    await waitForPortal(child, port, false);
  };
  for (let i = 0; i < options.instances; i++) await start(i);
  return {
    balancerUrl: `http://127.0.0.1:${ports[0]}`, tenantUrl: tenant.url, tenantId: tenant.ctx.directory.tenantId, databaseUrl: pg.url, certPath: cert.certPath, tenant,
    instances: ports.map((port, index) => ({ index, port, url: `http://127.0.0.1:${port}`, pid: () => children[index]?.pid })),
    killInstance: (i, signal) => new Promise((resolve) => { const c = children[i]!; c.once('exit', (code, sig) => resolve({ code, signal: sig })); c.kill(signal); }),
    startInstance: start,
    restartPostgres: () => Promise.reject(new Error('not in the temporary adapter')),
    failOverBalancer: () => Promise.reject(new Error('not in the temporary adapter')),
    async stop() {
      for (const c of children) if (c) await stopChild(c);
      await tenant.close();
      await pg.stop();
    },
  };
}
