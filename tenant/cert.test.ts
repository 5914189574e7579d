import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureCertificate, ensureSigningKey } from './cert';

describe('ensureCertificate', () => {
  it('generates a localhost certificate once and reuses it', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cert-'));
    const first = await ensureCertificate(dataDir);
    expect(first.certPath).toBe(path.join(dataDir, 'tenant', 'tls-cert.pem'));
    const x = new X509Certificate(first.certPem);
    expect(x.subjectAltName).toContain('DNS:localhost');
    expect(x.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(((await stat(first.keyPath)).mode & 0o777).toString(8)).toBe('600');
    const spki = x.publicKey.export({ type: 'spki', format: 'der' });
    expect(first.spkiSha256).toBe(createHash('sha256').update(spki).digest('base64'));

    const again = await ensureCertificate(dataDir);
    expect(again.certPem).toBe(first.certPem);
    expect(again.keyPem).toBe(first.keyPem);

    // Only a missing (or expired) certificate is regenerated.
    await rm(first.certPath);
    const fresh = await ensureCertificate(dataDir);
    expect(fresh.certPem).not.toBe(first.certPem);
  });

  it('keeps the token signing key across calls', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sigkey-'));
    const [a, b] = await Promise.all([ensureSigningKey(dataDir), ensureSigningKey(dataDir)]);
    expect(a.kid).toBe(b.kid);
    const c = await ensureSigningKey(dataDir);
    expect(c.publicJwk).toEqual(a.publicJwk);
    expect(a.publicJwk).toMatchObject({ kty: 'RSA', use: 'sig', kid: a.kid, x5t: a.kid, e: 'AQAB' });
    expect(a.publicJwk).not.toHaveProperty('alg');
    const cert = new X509Certificate(Buffer.from(a.publicJwk.x5c[0] ?? '', 'base64'));
    expect(createHash('sha1').update(cert.raw).digest('base64url')).toBe(a.kid);
  });
});
