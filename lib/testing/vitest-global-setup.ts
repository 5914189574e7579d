/**
 * Vitest global setup: lets `npx vitest run <file>` (and an editor's test runner) start the local
 * tenant without any variable set by hand.
 *
 * Tests that start the tenant need TEST_DATA_DIR (where its certificate and signing key live) and
 * must trust its self-signed certificate. Node reads NODE_EXTRA_CA_CERTS only when a process
 * starts, so setting it inside a test is too late; this runs in vitest's main process before the
 * test workers exist, and the workers are child processes (pool `forks`, pinned in
 * vitest.config.mts) that start with this process's environment.
 *
 * - TEST_DATA_DIR set (as `npm test` does): used as is.
 *   Unset: `node_modules/.cache/tap-broker-test`, kept between runs so the keys are generated once
 *   (generation is locked across processes, so parallel runs share it safely); `node_modules` is
 *   never committed and a clean install discards it.
 * - NODE_EXTRA_CA_CERTS already naming a file that holds the tenant's certificate (as `npm test`
 *   does): kept. Naming another bundle (a proxy's or the system's): Node takes one file only, so a
 *   copy of that bundle plus the tenant's certificate is written to the data folder and used
 *   instead; nothing the caller trusted is dropped. Unset: the tenant's certificate itself.
 *
 * TLS verification is never switched off.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureCertificate, ensureSigningKey } from '../../tenant/cert';

export default async function setup(project: TestProject): Promise<void> {
  const given = process.env.TEST_DATA_DIR;
  const dataDir = given !== undefined && given !== '' ? given : path.join(project.config.root, 'node_modules', '.cache', 'tap-broker-test');
  const [cert] = await Promise.all([ensureCertificate(dataDir), ensureSigningKey(dataDir)]);
  process.env.TEST_DATA_DIR = dataDir;
  process.env.NODE_EXTRA_CA_CERTS = await trustedCaFile(dataDir, cert.certPath, cert.certPem);
}

/** A file for NODE_EXTRA_CA_CERTS that trusts the tenant and everything the caller's one did. */
async function trustedCaFile(dataDir: string, certPath: string, certPem: string): Promise<string> {
  const current = process.env.NODE_EXTRA_CA_CERTS;
  if (current === undefined || current === '') return certPath;
  // Node only warns about an unreadable NODE_EXTRA_CA_CERTS, so an unreadable one trusted nothing.
  const bundle = await readFile(current, 'utf8').catch(() => '');
  if (bundle.includes(certPem.trim())) return current;
  const combined = `${bundle.trimEnd()}\n${certPem}`;
  // Named by content: parallel runs with the same inputs write the same file, never a half one.
  const file = path.join(dataDir, `extra-ca-certs-${createHash('sha256').update(combined).digest('hex').slice(0, 16)}.pem`);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, combined, { mode: 0o644 });
  await rename(tmp, file);
  return file;
}
