/**
 * The local tenant's key material, generated once into `<dataDir>/tenant/` and reused:
 *
 * - `tls-cert.pem` / `tls-key.pem`: a self-signed TLS certificate for `localhost`
 *   (SAN DNS:localhost, IP:127.0.0.1, IP:::1). Node processes trust it through
 *   `NODE_EXTRA_CA_CERTS=<certPath>` or an explicit `ca`; browsers through a one-time accept
 *   (or Chromium's `--ignore-certificate-errors-spki-list=<spkiSha256>` in automated tests).
 *   Reusing it matters: every regeneration forces people to accept a new certificate.
 * - `signing-key.json`: the RSA key that signs tokens, kept so that tokens issued before a
 *   restart still verify afterwards (the portal caches the JWKS).
 *
 * Both private keys are written with mode 0600. They protect only a local stand-in, but they
 * still let anyone who reads them mint tokens the local portal accepts.
 */
import { createHash, createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface TenantCertificate {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  /** base64 SHA-256 of the certificate's SubjectPublicKeyInfo (DER), for Chromium's SPKI allow-list. */
  spkiSha256: string;
}

export interface SigningKey {
  /** Key id in the JWT header and the JWKS; like Entra, the base64url SHA-1 thumbprint of the certificate. */
  kid: string;
  privateKey: KeyObject;
  /** Public JWK as published in the JWKS (Entra's shape: no `alg`). */
  publicJwk: {
    kty: 'RSA';
    use: 'sig';
    kid: string;
    x5t: string;
    n: string;
    e: string;
    x5c: string[];
  };
}

const CERT_VALIDITY_DAYS = 365;
/** Renew a little before expiry so a long-running test does not straddle the end date. */
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;

function tenantDir(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'tenant');
}

/**
 * Serialises generation across processes (the start script and a test run may share a data
 * dir): without it, two writers could leave a certificate paired with the other's key.
 */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = path.join(dir, '.keygen.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await stat(lockPath).catch(() => null);
      // A lock older than 60 s belongs to a process that died mid-generation.
      if (info && Date.now() - info.mtimeMs > 60_000) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function writeAtomic(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, file);
}

function spkiSha256Of(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

async function readUsableCertificate(certPath: string, keyPath: string): Promise<TenantCertificate | null> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const cert = new X509Certificate(certPem);
    if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE_MS) return null;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return null;
    return { certPath, keyPath, certPem, keyPem, spkiSha256: spkiSha256Of(certPem) };
  } catch {
    return null;
  }
}

/**
 * Returns the tenant's TLS certificate, generating it on first use (or when missing, unreadable
 * or about to expire) and reusing it otherwise.
 */
export async function ensureCertificate(dataDir: string): Promise<TenantCertificate> {
  const dir = tenantDir(dataDir);
  const certPath = path.join(dir, 'tls-cert.pem');
  const keyPath = path.join(dir, 'tls-key.pem');
  const existing = await readUsableCertificate(certPath, keyPath);
  if (existing) return existing;

  await mkdir(dir, { recursive: true });
  return withLock(dir, async () => {
    const raced = await readUsableCertificate(certPath, keyPath);
    if (raced) return raced;
    const notBeforeDate = new Date(Date.now() - 60_000);
    const notAfterDate = new Date(notBeforeDate.getTime() + CERT_VALIDITY_DAYS * 24 * 60 * 60 * 1000);
    const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'TAP Broker local tenant' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        // A leaf, not a CA: Node trusts it as a pinned anchor through `ca`/NODE_EXTRA_CA_CERTS.
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    });
    await writeAtomic(keyPath, pems.private, 0o600);
    await writeAtomic(certPath, pems.cert, 0o644);
    return { certPath, keyPath, certPem: pems.cert, keyPem: pems.private, spkiSha256: spkiSha256Of(pems.cert) };
  });
}

interface StoredSigningKey {
  kid: string;
  x5c: string;
  privateKeyPem: string;
}

function base64url(buf: Buffer): string {
  return buf.toString('base64url');
}

function toSigningKey(stored: StoredSigningKey): SigningKey {
  const privateKey = createPrivateKey(stored.privateKeyPem);
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new Error('signing key is not an RSA key');
  return {
    kid: stored.kid,
    privateKey,
    publicJwk: { kty: 'RSA', use: 'sig', kid: stored.kid, x5t: stored.kid, n: jwk.n, e: jwk.e, x5c: [stored.x5c] },
  };
}

async function readSigningKey(file: string): Promise<SigningKey | null> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredSigningKey>;
    if (typeof raw.kid !== 'string' || typeof raw.x5c !== 'string' || typeof raw.privateKeyPem !== 'string') return null;
    return toSigningKey({ kid: raw.kid, x5c: raw.x5c, privateKeyPem: raw.privateKeyPem });
  } catch {
    return null;
  }
}

/**
 * Returns the token-signing key (RSA 2048), generating it once into `<dataDir>/tenant/signing-key.json`.
 * Like Entra's, the public key is also published as a self-signed certificate (`x5c`) whose
 * SHA-1 thumbprint is both `kid` and `x5t`.
 */
export async function ensureSigningKey(dataDir: string): Promise<SigningKey> {
  const dir = tenantDir(dataDir);
  const file = path.join(dir, 'signing-key.json');
  const existing = await readSigningKey(file);
  if (existing) return existing;
  await mkdir(dir, { recursive: true });
  return withLock(dir, async () => {
    const raced = await readSigningKey(file);
    if (raced) return raced;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const notBeforeDate = new Date(Date.now() - 60_000);
    const pems = await generate([{ name: 'commonName', value: 'TAP Broker local tenant token signing' }], {
      algorithm: 'sha256',
      keyPair: { privateKey: privateKeyPem, publicKey: publicKeyPem },
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + 10 * 365 * 24 * 60 * 60 * 1000),
    });
    const der = new X509Certificate(pems.cert).raw;
    const stored: StoredSigningKey = {
      kid: base64url(createHash('sha1').update(der).digest()),
      x5c: der.toString('base64'),
      privateKeyPem,
    };
    await writeAtomic(file, JSON.stringify(stored, null, 2), 0o600);
    return toSigningKey(stored);
  });
}
