/**
 * The offline verifier's benchmark (started by `npm run bench -- --only=verify`, run with
 * `--conditions=react-server` so the portal's export encoder loads as in the server):
 *
 *   audit-verify-bench.ts <events> <formats>
 *
 * writes a chained export of <events> generated events per format with the portal's own encoder
 * (lib/audit/export-format.ts) and a manifest signed as lib/audit/manifest.ts signs it, then runs
 * `npm run audit:verify` on it (file, manifest, pinned key) in a child process and prints its
 * rows/s beside a same-run reference — a 20-line Node loop that streams the same file and hashes
 * each line with SHA-256 — with their ratio and the load average, so a figure taken on a busy
 * machine reads as such.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { canonicalJson, computeAuditEventHash, GENESIS_PREV_HASH } from '../../lib/audit/canonical';
import { encodeExportHeader, encodeExportRow } from '../../lib/audit/export-format';
import { getAuditSigningKey, signWithAuditKey, type AuditSigningKey } from '../../lib/audit/signing-key';
import type { AuditExportFormat } from '../../lib/contract/audit';
import { makeBenchAuditEvent } from './bench-audit-events';
import { formatRatio, metGoal, reportBenchRows } from './bench-rows';

async function writeExport(dir: string, events: number, format: AuditExportFormat, key: AuditSigningKey): Promise<string> {
  const file = path.join(dir, `export.${format}`);
  const out = createWriteStream(file);
  const fileHash = createHash('sha256');
  let bytes = 0;
  const write = async (text: string) => {
    const buffer = Buffer.from(text, 'utf8');
    fileHash.update(buffer);
    bytes += buffer.length;
    if (!out.write(buffer)) await once(out, 'drain');
  };
  await write(encodeExportHeader(format));
  const base = Date.UTC(2026, 0, 1);
  let prevHash = GENESIS_PREV_HASH;
  let firstHash: string | null = null;
  for (let seq = 1; seq <= events; seq += 1) {
    const event = makeBenchAuditEvent(seq, base);
    const hash = computeAuditEventHash(prevHash, event);
    await write(encodeExportRow(format, { ...event, seq: BigInt(seq), prevHash, hash }));
    firstHash ??= hash;
    prevHash = hash;
  }
  out.end();
  await once(out, 'finish');
  const body = {
    kind: 'tap-broker/audit-export-manifest',
    manifestVersion: 1,
    format,
    count: events,
    firstSeq: events === 0 ? null : 1,
    lastSeq: events === 0 ? null : events,
    firstHash,
    lastHash: events === 0 ? null : prevHash,
    anchorPrevHash: events === 0 ? null : GENESIS_PREV_HASH,
    file: { name: path.basename(file), bytes, sha256: fileHash.digest('hex') },
  };
  const manifest = { ...body, signature: { alg: 'Ed25519', keyId: key.keyId, publicKeyJwk: key.publicKeyJwk, value: signWithAuditKey(key, canonicalJson(body)) } };
  await writeFile(`${file}.manifest.json`, JSON.stringify(manifest, null, 2));
  return file;
}

/** The reference: stream the file, cut it into lines, SHA-256 each line. Rows per second. */
async function referenceRowsPerSecond(file: string): Promise<number> {
  const started = performance.now();
  let rows = 0;
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const buffer = rest.length === 0 ? (chunk as Buffer) : Buffer.concat([rest, chunk as Buffer]);
    let start = 0;
    for (let nl = buffer.indexOf(10); nl >= 0; nl = buffer.indexOf(10, start)) {
      createHash('sha256').update(buffer.subarray(start, nl)).digest('hex');
      rows += 1;
      start = nl + 1;
    }
    rest = buffer.subarray(start);
  }
  return rows / ((performance.now() - started) / 1000);
}

/** `npm run audit:verify -- <file> <manifest> --key <pem>` as a child process; its own rows/s line. */
function verifierRowsPerSecond(file: string, keyFile: string): Promise<{ rowsPerSecond: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', file, `${file}.manifest.json`, '--key', keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const match = /(\d+) rows\/s/.exec(output);
      if (code !== 0 || !match) reject(new Error(`audit:verify exited with ${code}: ${output}`));
      else resolve({ rowsPerSecond: Number(match[1]), output });
    });
  });
}

async function main(argv: string[]): Promise<void> {
  const events = Number(argv[0] ?? 200_000);
  const formats = (argv[1] ?? 'csv,jsonl').split(',').filter((f): f is AuditExportFormat => f === 'csv' || f === 'jsonl');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tapbroker-verify-bench-'));
  try {
    const key = getAuditSigningKey({ dataDir: dir });
    const keyFile = path.join(dir, 'public-key.pem');
    await writeFile(keyFile, key.publicKeyPem);
    console.log(`verify bench: ${events} events, ${os.availableParallelism()} cores available`);
    for (const format of formats) {
      const file = await writeExport(dir, events, format, key);
      const reference = await referenceRowsPerSecond(file);
      const verifier = await verifierRowsPerSecond(file, keyFile);
      const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
      console.log(verifier.output.trimEnd().replace(/^/gm, '  '));
      console.log(
        `audit:verify ${format}: ${Math.round(verifier.rowsPerSecond)} rows/s; reference (Node loop hashing each line) ${Math.round(reference)} rows/s; ` +
          `ratio ${(verifier.rowsPerSecond / reference).toFixed(2)} (target >= 0.5); load average ${load}`,
      );
      const ratio = verifier.rowsPerSecond / reference;
      reportBenchRows([
        {
          section: 'verify',
          what: `npm run audit:verify, ${events} events, ${format}`,
          measured: `${Math.round(verifier.rowsPerSecond)} rows/s`,
          reference: `per-line SHA-256 loop ${Math.round(reference)} rows/s`,
          ratio: formatRatio(verifier.rowsPerSecond, reference),
          goal: '≥ 0.5',
          met: metGoal(ratio >= 0.5),
        },
      ]);
      await rm(file, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
