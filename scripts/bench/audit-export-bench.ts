/**
 * The audit export benchmark's measured processes (started by scripts/bench.ts, run with
 * `--conditions=react-server` so the portal's core modules load as they do in the server):
 *
 *   seed <postgres url> <events>           fills audit_event with a valid hash chain of <events>
 *                                          realistic events (hashes computed here, batched INSERTs)
 *   verify <postgres url>                  the background full verification from seq 1 beside
 *                                          GET /api/audit/verify's incremental check from its
 *                                          checkpoint: with nothing new, then after 100 appends
 *   export <postgres url> <dir> <format>   the export code path of GET /api/audit/export and of its
 *                                          manifest route, streamed to <dir>/export.<format>;
 *                                          prints rows/s beside a same-run reference (psql's
 *                                          `COPY audit_event TO STDOUT (FORMAT csv)` into a file in
 *                                          <dir>), their ratio (target >= 0.8), the load average
 *                                          and this process's peak RSS (target <= 256 MB)
 *
 * Each phase runs in its own process so the peak RSS printed is the export's alone.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { appendAuditEvent } from '../../lib/audit/append-audit-event';
import { canonicalJson, computeAuditEventHash, GENESIS_PREV_HASH } from '../../lib/audit/canonical';
import { runFullAuditVerification } from '../../lib/audit/full-audit-verification';
import { verifyAuditChainIncrementally } from '../../lib/audit/verify-audit-chain-incrementally';
import { createAuditExportStream, startAuditExport } from '../../lib/audit/export-audit-events';
import type { AuditExportFormat } from '../../lib/contract/audit';
import { buildAuditExportManifest } from '../../lib/audit/manifest';
import { getAuditSigningKey } from '../../lib/audit/signing-key';
import { openDb } from '../../lib/db/client';
import { PrismaClient } from '../../lib/db/generated/client';
import { applyMigrations } from '../../lib/db/migrate';
import { makeBenchAuditEvent } from './bench-audit-events';
import { formatRatio, metGoal, reportBenchRows } from './bench-rows';

const BATCH = 5_000;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function seed(url: string, events: number): Promise<void> {
  await applyMigrations({ url });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  const base = Date.now() - events * 10 - 60_000;
  let prevHash = GENESIS_PREV_HASH;
  try {
    for (let from = 1; from <= events; from += BATCH) {
      const cols: { seq: string[]; id: string[]; at: string[]; type: string[]; actor: string[]; target: string[]; request: string[]; data: string[]; canonical: string[]; prev: string[]; hash: string[] } =
        { seq: [], id: [], at: [], type: [], actor: [], target: [], request: [], data: [], canonical: [], prev: [], hash: [] };
      for (let seq = from; seq < Math.min(from + BATCH, events + 1); seq += 1) {
        const { id, at, type, actorId, targetId, requestId, data } = makeBenchAuditEvent(seq, base);
        const hash = computeAuditEventHash(prevHash, { seq, id, at, type, actorId, targetId, requestId, data });
        cols.seq.push(String(seq));
        cols.id.push(id);
        cols.at.push(at.toISOString());
        cols.type.push(type);
        cols.actor.push(actorId);
        cols.target.push(targetId);
        cols.request.push(requestId);
        cols.data.push(JSON.stringify(data));
        cols.canonical.push(canonicalJson(data));
        cols.prev.push(prevHash);
        cols.hash.push(hash);
        prevHash = hash;
      }
      await client.query(
        `INSERT INTO audit_event (seq, id, at, type, actor_id, target_id, request_id, data, data_canonical, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::jsonb[], $9::text[], $10::text[], $11::text[])`,
        [cols.seq, cols.id, cols.at, cols.type, cols.actor, cols.target, cols.request, cols.data, cols.canonical, cols.prev, cols.hash],
      );
    }
    // Seeded behind the append's back, so the chain's head row (migration 0013) is moved to match.
    await client.query(
      `UPDATE audit_head SET seq = e.seq, at = e.at, prev_hash = e.prev_hash, hash = e.hash
       FROM (SELECT seq, at, prev_hash, hash FROM audit_event ORDER BY seq DESC LIMIT 1) AS e`,
    );
    // As autovacuum leaves an insert-only table in production (it vacuums after inserts since
    // PostgreSQL 13): the visibility map set, so counts over the trail can use the primary key alone.
    await client.query('VACUUM (ANALYZE) audit_event');
  } finally {
    await client.end();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`seeded ${events} chained audit events in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} rows/s)`);
}

async function exportOnce(url: string, dir: string, format: AuditExportFormat): Promise<void> {
  // Opened as the portal opens it, so the export takes the same (COPY) path.
  const { prisma: db, close } = await openDb({ kind: 'postgres', url });
  try {
    const context = { requestId: 'bench', ip: '127.0.0.1', userAgent: 'bench' };
    await db.$queryRaw`SELECT 1`;
    const baselineMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
    console.log(`export ${format}: RSS before exporting (Node, loader, Prisma client connected) ${baselineMb} MB`);
    let started = performance.now();
    const record = await startAuditExport(db, { id: 'bench-auditor' }, { format }, context);
    const startSeconds = (performance.now() - started) / 1000;
    const file = path.join(dir, `export.${format}`);
    // The DOM and node:stream/web ReadableStream types differ only in typing; the object is the same.
    await pipeline(Readable.fromWeb(createAuditExportStream(db, record) as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(file));
    let seconds = (performance.now() - started) / 1000;
    const rowsPerSecond = record.count / seconds;
    const copy = await copyReference(url, dir);
    const copyRowsPerSecond = copy.rows / copy.seconds;
    console.log(
      `export ${format}: ${record.count} events streamed in ${seconds.toFixed(1)} s = ${Math.round(rowsPerSecond)} rows/s ` +
        `(of which startAuditExport ${startSeconds.toFixed(1)} s; the stream alone ${Math.round(record.count / (seconds - startSeconds))} rows/s); ` +
        `same-run reference COPY audit_event TO STDOUT CSV (psql, into a file): ${copy.rows} rows in ${copy.seconds.toFixed(1)} s = ${Math.round(copy.rows / copy.seconds)} rows/s; ` +
        `ratio ${(rowsPerSecond / (copy.rows / copy.seconds)).toFixed(2)} (target >= 0.8); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; peak RSS so far ${peakRssMb()} MB`,
    );
    started = performance.now();
    const key = getAuditSigningKey({ dataDir: dir });
    const manifest = await buildAuditExportManifest(db, record.exportId, key);
    await writeFile(path.join(dir, `export.${format}.manifest.json`), JSON.stringify(manifest, null, 2));
    await writeFile(path.join(dir, 'public-key.pem'), key.publicKeyPem);
    seconds = (performance.now() - started) / 1000;
    console.log(
      `manifest ${format}: re-streamed and hashed ${manifest.file.bytes} bytes in ${seconds.toFixed(1)} s = ${Math.round(manifest.count / seconds)} rows/s`,
    );
    reportBenchRows([
      { section: 'export', what: `compliance export, ${record.count} events, ${format}`, measured: `${Math.round(rowsPerSecond)} rows/s`, reference: `COPY … TO STDOUT CSV ${Math.round(copyRowsPerSecond)} rows/s`, ratio: formatRatio(rowsPerSecond, copyRowsPerSecond), goal: '≥ 0.8 × COPY', met: metGoal(rowsPerSecond / copyRowsPerSecond >= 0.8) },
      { section: 'export', what: `compliance export, ${format}: peak RSS of the exporting process`, measured: `${peakRssMb()} MB`, reference: '—', ratio: '—', goal: '< 256 MB', met: metGoal(peakRssMb() < 256) },
    ]);
    const mem = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    console.log(
      `export ${format}: peak RSS ${peakRssMb()} MB (target < 256 MB); now rss ${mb(mem.rss)} MB, heap ${mb(mem.heapUsed)}/${mb(mem.heapTotal)} MB, external ${mb(mem.external)} MB`,
    );
  } finally {
    await close();
  }
}

/**
 * The database's own speed on the same table: psql writing `COPY audit_event TO STDOUT` as CSV to
 * a file, as fast as a client can receive the rows. Runs as a separate process, so this process's
 * peak RSS stays the export's.
 */
async function copyReference(url: string, dir: string): Promise<{ rows: number; seconds: number }> {
  const file = path.join(dir, 'copy-reference.csv');
  const started = performance.now();
  const { stdout } = await promisify(execFile)('psql', [url, '-X', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy audit_event TO '${file}' (FORMAT csv)`]);
  const seconds = (performance.now() - started) / 1000;
  await rm(file, { force: true });
  return { rows: Number(/COPY (\d+)/.exec(stdout)?.[1] ?? Number.NaN), seconds };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

async function verifyOnce(url: string): Promise<void> {
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  try {
    const [run, fullMs] = await timed(() => runFullAuditVerification(db, { everyMs: 0 }));
    console.log(`verify: full verification from seq 1 (background job) ${Number(run?.done ?? 0)} events, ${run?.outcome ?? 'not run'}, in ${(fullMs / 1000).toFixed(1)} s`);
    const [idle, idleMs] = await timed(() => verifyAuditChainIncrementally(db));
    console.log(`verify: GET /api/audit/verify at ${idle.count} events, nothing new since the checkpoint: ${Math.round(idleMs)} ms (ok ${idle.ok}, checked ${idle.checkedCount})`);
    const context = { requestId: 'bench', ip: '127.0.0.1', userAgent: 'bench' };
    for (let n = 0; n < 100; n += 1) {
      await db.$transaction((tx) =>
        appendAuditEvent(tx, { type: 'tap_request.denied', actorId: 'bench', data: { decidedBy: 'bench', reason: `bench ${n}`, policyVersion: 1 }, context }),
      );
    }
    const [fresh, freshMs] = await timed(() => verifyAuditChainIncrementally(db));
    console.log(`verify: GET /api/audit/verify at ${fresh.count} events, 100 new since the checkpoint: ${Math.round(freshMs)} ms (ok ${fresh.ok}, checked ${fresh.checkedCount})`);
    const verifyRow = (what: string, ms: number) => ({ section: 'export', what, measured: `${Math.round(ms)} ms`, reference: '—', ratio: '—', goal: '< 1 s', met: metGoal(ms < 1000) });
    reportBenchRows([
      verifyRow(`GET /api/audit/verify, ${idle.count} events, nothing new since the checkpoint`, idleMs),
      verifyRow(`GET /api/audit/verify, ${fresh.count} events, 100 new since the checkpoint`, freshMs),
    ]);
  } finally {
    await db.$disconnect();
  }
}

async function main(argv: string[]): Promise<void> {
  const [mode, url, third, fourth] = argv;
  if (mode === 'seed' && url && third) return seed(url, Number(third));
  if (mode === 'verify' && url) return verifyOnce(url);
  if (mode === 'export' && url && third && (fourth === 'csv' || fourth === 'jsonl')) return exportOnce(url, third, fourth);
  throw new Error('usage: audit-export-bench.ts seed <url> <events> | verify <url> | export <url> <dir> <csv|jsonl>');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
