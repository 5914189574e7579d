/**
 * A throwaway PostgreSQL 15 cluster for tests: `startPgCluster()` runs initdb in a temporary
 * folder, starts the server on a free loopback port (TCP on 127.0.0.1 only, its unix socket inside
 * the folder, durability off for speed) and creates one database. `stop()` stops the server and
 * deletes the folder.
 *
 * CLI: `npx tsx scripts/pg-cluster.ts` prints the URL and keeps the cluster up until Ctrl-C.
 * Env: PG_BIN_DIR (default /usr/lib/postgresql/15/bin).
 */
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { stopOnSignals } from './lib/stop-on-signals';

const execFileAsync = promisify(execFile);

export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`; the `postgres` user is a superuser. */
  url: string;
  port: number;
  /** The temporary folder holding the data directory, socket and log. */
  dir: string;
  /**
   * Stops the server with `-m fast` (sessions are disconnected, in-flight transactions roll back)
   * and starts it again on the same port and data: what a PostgreSQL restart or failover looks
   * like to clients. Resolves once it accepts connections again.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartPgClusterOptions {
  /** The database to create (default `tap_broker`). */
  database?: string;
  binDir?: string;
}

/** Starts a throwaway cluster; see the file comment. Resolves once it accepts connections. */
export async function startPgCluster(options: StartPgClusterOptions = {}): Promise<PgCluster> {
  const binDir = options.binDir ?? (process.env.PG_BIN_DIR || '/usr/lib/postgresql/15/bin');
  const database = options.database ?? 'tap_broker';
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`invalid database name: ${database}`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tap-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  // initdb refuses to run as root; as root we run the server binaries as the `postgres` OS user,
  // which must own the folder.
  const runAs = process.getuid?.() === 0 ? getPostgresUser() : undefined;
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);

  const run = async (binary: string, args: string[]) => {
    const file = path.join(binDir, binary);
    const [command, commandArgs] = runAs ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    try {
      await execFileAsync(command, commandArgs, { cwd: dir, timeout: 120_000, env: { ...process.env, LC_ALL: 'C' } });
    } catch (error) {
      const detail = error instanceof Error && 'stderr' in error ? String(error.stderr) : '';
      throw new Error(`${binary} failed: ${error instanceof Error ? error.message : String(error)}\n${detail}`, {
        cause: error,
      });
    }
  };

  let started = false;
  const stop = async () => {
    if (started) {
      started = false;
      await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // pg_ctl restart has no -l: the server would keep pg_ctl's output pipes, which execFile waits on.
  const startServer = async () => {
    try {
      await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${readLog(logFile)}`, { cause: error });
    }
  };
  const restart = async () => {
    if (!started) throw new Error('the cluster is stopped');
    await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
    await startServer();
  };

  try {
    await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await findFreePort();
    // Trust authentication is acceptable only because the server listens on loopback and lives
    // for one test run; never copy these settings to a real server.
    appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        'max_connections = 300',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        "log_min_messages = 'warning'",
        '',
      ].join('\n'),
    );
    started = true;
    await startServer();

    const serverUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${database}"`);
    } finally {
      await client.end();
    }
    return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, port, dir, restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function getPostgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new Error('running as root needs the `postgres` OS user (apt-get install postgresql) to run initdb');
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

function readLog(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8');
  } catch {
    return '(no server log)';
  }
}

/** Clusters left behind by a killed test run, for the CLI's housekeeping message. */
function findLeftovers(): string[] {
  return readdirSync(os.tmpdir())
    .filter((name) => name.startsWith('tap-pg-'))
    .map((name) => path.join(os.tmpdir(), name))
    .filter((dir) => statSync(dir).isDirectory());
}

async function main(): Promise<void> {
  const leftovers = findLeftovers();
  if (leftovers.length > 0) {
    console.warn(`note: earlier clusters may still be running from ${leftovers.join(', ')}`);
  }
  const cluster = await startPgCluster();
  console.log(cluster.url);
  console.log('PostgreSQL is running; press Ctrl-C to stop it and delete its data.');
  stopOnSignals(() => cluster.stop());
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
