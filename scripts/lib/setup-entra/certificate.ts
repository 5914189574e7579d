/**
 * The broker's certificate credential, made on this machine: an RSA 2048 self-signed certificate
 * whose private key is written only to the local PEM file (key then certificate, the format
 * lib/env.ts reads from BROKER_CERTIFICATE_PATH, mode 0600 in a 0700 folder). Graph only ever
 * receives the public certificate.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';
import { writeFileAtomic } from '@/scripts/lib/setup-entra/env-file';
import type { CertificateInfo } from '@/scripts/lib/setup-entra/state';

export const CERTIFICATE_COMMON_NAME = 'TAP Broker service';

/** The public facts of the first certificate in a PEM text. Throws when there is none. */
export function getCertificateInfo(pem: string): CertificateInfo {
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (leaf === undefined) throw new Error('no certificate in the PEM text');
  const cert = new X509Certificate(leaf);
  const sha1 = createHash('sha1').update(cert.raw).digest();
  return {
    subject: cert.subject.split('\n').join(', '),
    thumbprint: sha1.toString('hex').toUpperCase(),
    customKeyIdentifier: sha1.toString('base64'),
    derBase64: cert.raw.toString('base64'),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

/** The certificate in the file at `file`; null when the file is missing or holds no readable certificate. */
export async function readCertificateFile(file: string): Promise<CertificateInfo | null> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return null;
    throw error;
  }
  try {
    return getCertificateInfo(pem);
  } catch {
    return null;
  }
}

export interface GeneratedCertificate {
  info: CertificateInfo;
  /** Private key and certificate, PEM. Secret: never printed or sent. */
  pem: string;
}

/** `months` calendar months after `from`. */
export function addMonths(from: Date, months: number): Date {
  const date = new Date(from.getTime());
  date.setUTCMonth(date.getUTCMonth() + months);
  return date;
}

/** A new RSA 2048 key and self-signed certificate (SHA-256), valid from `now` for `months` months. */
export async function generateCertificate(now: Date, months: number): Promise<GeneratedCertificate> {
  const pems = await generate([{ name: 'commonName', value: CERTIFICATE_COMMON_NAME }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: addMonths(now, months),
  });
  return { info: getCertificateInfo(pems.cert), pem: `${pems.private.trim()}\n${pems.cert.trim()}\n` };
}

/**
 * Writes the key and certificate beside `file` without replacing it yet; `commit` moves it into
 * place once Graph holds the certificate, `discard` removes it. Until then the file the broker
 * runs with stays the one registered.
 */
export async function stageCertificateFile(file: string, pem: string): Promise<{ commit: () => Promise<void>; discard: () => Promise<void> }> {
  const folder = path.dirname(path.resolve(file));
  // Only a folder made here is set to 0700: an existing one (the repository root, say) is not ours to change.
  const created = await mkdir(folder, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(folder, 0o700);
  const staged = `${file}.new`;
  await rm(staged, { force: true });
  await writeFileAtomic(staged, pem, 0o600);
  return {
    commit: () => rename(staged, file),
    discard: () => rm(staged, { force: true }),
  };
}
