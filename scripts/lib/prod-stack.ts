/**
 * The production topology on one machine, for `npm run stack:prod` and the fault campaign: a
 * throwaway PostgreSQL, the local tenant in this process, the migrations run once, N portal
 * instances each started with the image's entry command from the standalone build, and HAProxy in
 * front with deploy/haproxy.cfg. Everything listens on loopback; the balancer's URL is the portal's.
 * Env: HAPROXY_BIN (default /usr/sbin/haproxy), PG_BIN_DIR (scripts/pg-cluster.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningTenant } from '../../tenant/server';
import { migrateDatabase } from '../../lib/db/migrate';
import { findFreePort, startPgCluster, type PgCluster } from '../pg-cluster';
import { getInstanceEntryCommand, prepareStandalone } from './standalone';
import { getLocalPortalProcessEnv, getLocalStackPortalEnv, repoRoot, startLocalTenant, stopChild, waitForHealth, type LocalTenant } from './stack';

export interface ProdStackOptions {
  instances: number;
  seedPath?: string;
  env?: Record<string, string>;
  notifications?: boolean;
  logLevel?: string;
  onOutput?: (source: string, chunk: string) => void;
}

export interface ProdInstance {
  index: number;
  port: number;
  url: string;
  pid(): number | undefined;
}

export interface ProdStack {
  balancerUrl: string;
  tenantUrl: string;
  tenantId: string;
  databaseUrl: string;
  certPath: string;
  /** tenant/server.ts startTenant's result: ctx.faults, ctx.directory, stats. */
  tenant: RunningTenant;
  instances: ProdInstance[];
  killInstance(index: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: string | null }>;
  /** (Re)starts instance `index`; resolves when it answers readiness. */
  startInstance(index: number): Promise<void>;
  restartPostgres(): Promise<void>;
  /** Replaces the balancer process without dropping service (`haproxy -sf <old pid>`, same config). */
  failOverBalancer(): Promise<void>;
  stop(): Promise<void>;
}

export const haproxyTemplatePath = path.join(repoRoot, 'deploy', 'haproxy.cfg');
const haproxyBin = process.env.HAPROXY_BIN || '/usr/sbin/haproxy';
const instanceStartTimeoutMs = 60_000;

/**
 * deploy/haproxy.cfg for local instances: the `bind` line listens on `bind`, the `server-template`
 * line becomes one `server` line per port. Every other line is the template's.
 */
export function renderHaproxyConfig(template: string, opts: { bind: string; ports: number[] }): string {
  let binds = 0;
  let templates = 0;
  const lines = template.split('\n').flatMap((line) => {
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    if (/^\s*bind\s/.test(line)) {
      binds++;
      return [`${indent}bind ${opts.bind}`];
    }
    if (/^\s*server-template\s/.test(line)) {
      templates++;
      return opts.ports.map((port, i) => `${indent}server portal-${i + 1} 127.0.0.1:${port} check`);
    }
    return [line];
  });
  if (binds !== 1 || templates !== 1) throw new Error('deploy/haproxy.cfg must have exactly one bind line and one server-template line');
  return lines.join('\n');
}

/** Starts the topology described in the file comment; see `ProdStack`. */
export async function startProdStack(options: ProdStackOptions): Promise<ProdStack> {
  if (!Number.isInteger(options.instances) || options.instances < 1) throw new Error('instances must be a whole number ≥ 1');
  const out = options.onOutput ?? ((source: string, chunk: string) => process.stdout.write(prefixLines(source, chunk)));
  const standaloneDir = await prepareStandalone();
  const entry = getInstanceEntryCommand();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'tap-prod-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(workDir, { recursive: true, force: true })];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => out('stack', `${String(error)}\n`));
  };

  try {
    const cluster: PgCluster = await startPgCluster();
    cleanups.push(() => cluster.stop());
    const balancerPort = await findFreePort();
    const balancerUrl = `http://localhost:${balancerPort}`;
    const local: LocalTenant = await startLocalTenant({ dataDir: path.join(workDir, 'data'), tenantPort: 0, portalUrl: balancerUrl, seedPath: options.seedPath });
    cleanups.push(() => local.tenant.close());

    await migrateDatabase({ kind: 'postgres', url: cluster.url });

    // One key for every instance, as README asks of production (AUDIT_SIGNING_KEY_PATH).
    const auditKeyPath = path.join(workDir, 'audit-signing-key.pem');
    writeFileSync(auditKeyPath, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const portalEnv = getLocalStackPortalEnv(local, {
      portalUrl: balancerUrl,
      databaseUrl: cluster.url,
      logLevel: options.logLevel,
      notifications: options.notifications,
      extra: { AUDIT_SIGNING_KEY_PATH: auditKeyPath, TRUSTED_PROXY_HOPS: '1', ...options.env },
    });

    const ports: number[] = [];
    for (let i = 0; i < options.instances; i++) ports.push(await findFreePort());
    const children: (ChildProcess | undefined)[] = ports.map(() => undefined);
    cleanups.push(async () => {
      await Promise.all(children.map((child) => (child ? stopChild(child) : undefined)));
    });

    const spawnInstance = (index: number): ChildProcess => {
      const [command, ...args] = entry.command;
      // `node` in the image is this machine's node here.
      const child = spawn(command === 'node' ? process.execPath : command!, args, {
        cwd: standaloneDir,
        env: { ...getLocalPortalProcessEnv(portalEnv), NODE_ENV: 'production', [entry.portEnv]: String(ports[index]), [entry.hostEnv]: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const source = `portal-${index + 1}`;
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out(source, chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => out(source, chunk));
      children[index] = child;
      return child;
    };
    const instanceUrl = (index: number) => `http://127.0.0.1:${ports[index]}`;
    const startInstance = async (index: number) => {
      if (index < 0 || index >= ports.length) throw new Error(`no instance ${index}`);
      const running = children[index];
      if (running) await stopChild(running);
      await waitForHealth(instanceUrl(index), spawnInstance(index), instanceStartTimeoutMs, entry.healthPath);
    };

    await Promise.all(ports.map((_, index) => waitForHealth(instanceUrl(index), spawnInstance(index), instanceStartTimeoutMs, entry.healthPath)));

    const configPath = path.join(workDir, 'haproxy.cfg');
    writeFileSync(
      configPath,
      renderHaproxyConfig(readFileSync(haproxyTemplatePath, 'utf8'), { bind: `127.0.0.1:${balancerPort}`, ports }),
    );
    const spawnBalancer = (previous?: ChildProcess): ChildProcess => {
      // -db: in the foreground, logging to stdout; -sf: the previous process stops accepting and
      // finishes its connections while this one (SO_REUSEPORT, same port) takes new ones.
      const args = ['-db', '-f', configPath, ...(previous?.pid ? ['-sf', String(previous.pid)] : [])];
      const child = spawn(haproxyBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out('haproxy', chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => out('haproxy', chunk));
      return child;
    };
    let balancer = spawnBalancer();
    cleanups.push(() => stopChild(balancer));
    await waitForHealth(`http://127.0.0.1:${balancerPort}`, balancer, instanceStartTimeoutMs, entry.livenessPath);

    const instances: ProdInstance[] = ports.map((port, index) => ({ index, port, url: instanceUrl(index), pid: () => children[index]?.pid }));
    return {
      balancerUrl,
      tenantUrl: local.tenant.url,
      tenantId: local.tenant.ctx.directory.tenantId,
      databaseUrl: cluster.url,
      certPath: local.cert.certPath,
      tenant: local.tenant,
      instances,
      async killInstance(index, signal) {
        const child = children[index];
        if (!child) throw new Error(`no instance ${index}`);
        if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
        const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
        child.kill(signal);
        return exited;
      },
      startInstance,
      restartPostgres: () => cluster.restart(),
      async failOverBalancer() {
        const previous = balancer;
        const previousExit = new Promise<void>((resolve) => (previous.exitCode !== null ? resolve() : previous.once('exit', () => resolve())));
        balancer = spawnBalancer(previous);
        await waitForHealth(`http://127.0.0.1:${balancerPort}`, balancer, instanceStartTimeoutMs, entry.livenessPath);
        await previousExit;
      },
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** `chunk` with each line prefixed by `[source]`, for one console shared by several processes. */
export function prefixLines(source: string, chunk: string): string {
  return chunk
    .split('\n')
    .filter((line, i, all) => line !== '' || i < all.length - 1)
    .map((line) => `[${source}] ${line}\n`)
    .join('');
}
