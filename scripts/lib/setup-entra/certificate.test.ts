/**
 * The broker certificate made by setup:entra: RSA 2048, the requested validity, a PEM file the
 * portal's configuration loads, written 0600 in a 0700 folder, and staged so the old file stays
 * in place until Graph holds the new certificate. What Graph receives (the PATCH body) makes the
 * next run find the certificate in place.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '@/lib/env';
import { addMonths, generateCertificate, readCertificateFile, stageCertificateFile, type GeneratedCertificate } from '@/scripts/lib/setup-entra/certificate';
import { getApplicationPatch } from '@/scripts/lib/setup-entra/execute-plan';
import { isCertificateInPlace } from '@/scripts/lib/setup-entra/plan';
import { keyCredentialSchema } from '@/scripts/lib/setup-entra/state';
import { blankApplication } from '@/scripts/lib/setup-entra/test-support';

const NOW = new Date('2026-12-01T12:00:00.000Z');
let dir: string;
let generated: GeneratedCertificate;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'setup-entra-cert-'));
  generated = await generateCertificate(NOW, 12);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const broker = blankApplication('aaaaaaaa-0000-0000-0000-000000000003', 'TAP Broker service');

describe('generateCertificate', () => {
  it('makes an RSA 2048 key and a certificate for CN=TAP Broker service valid for the months asked', () => {
    const key = createPrivateKey(generated.pem);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const cert = new X509Certificate(generated.pem);
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(generated.info.subject).toBe('CN=TAP Broker service');
    expect(generated.info.notAfter.getTime()).toBe(Math.floor(addMonths(NOW, 12).getTime() / 1000) * 1000);
    expect(generated.info.thumbprint).toBe(cert.fingerprint.replaceAll(':', ''));
    expect(Buffer.from(generated.info.customKeyIdentifier, 'base64').toString('hex').toUpperCase()).toBe(generated.info.thumbprint);
  });

  it('writes a file the portal configuration loads as the broker credential', async () => {
    const file = path.join(dir, 'loaded', 'broker.pem');
    const staged = await stageCertificateFile(file, generated.pem);
    await staged.commit();
    const env = parseEnv({
      ENTRA_AUTHORITY_HOST: 'https://login.microsoftonline.com',
      ENTRA_TENANT_ID: '22222222-2222-4222-8222-222222222222',
      PORTAL_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
      API_CLIENT_ID: '11111111-1111-4111-8111-111111111111',
      API_SCOPE: 'api://11111111-1111-4111-8111-111111111111/access_as_user',
      BROKER_CLIENT_ID: '44444444-4444-4444-8444-444444444444',
      BROKER_CERTIFICATE_PATH: file,
      GRAPH_BASE_URL: 'https://graph.microsoft.com',
    });
    expect(env.broker.credential).toMatchObject({ kind: 'certificate' });
    expect(await readCertificateFile(file)).toEqual(generated.info);
  });
});

describe('stageCertificateFile', () => {
  it('creates the folder 0700 and the file 0600, and keeps the old file until commit', async () => {
    const file = path.join(dir, 'secrets', 'broker.pem');
    const first = await stageCertificateFile(file, 'old\n');
    await first.commit();
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    const second = await stageCertificateFile(file, generated.pem);
    expect(await readFile(file, 'utf8')).toBe('old\n');
    await second.commit();
    expect(await readFile(file, 'utf8')).toBe(generated.pem);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('discard leaves the old file alone', async () => {
    const file = path.join(dir, 'discarded.pem');
    await writeFile(file, 'old\n');
    const staged = await stageCertificateFile(file, generated.pem);
    await staged.discard();
    expect(await readFile(file, 'utf8')).toBe('old\n');
    await expect(stat(`${file}.new`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('does not change the mode of a folder that already exists', async () => {
    const folder = await mkdtemp(path.join(dir, 'shared-'));
    const { chmod } = await import('node:fs/promises');
    await chmod(folder, 0o755);
    await (await stageCertificateFile(path.join(folder, 'broker.pem'), generated.pem)).commit();
    expect((await stat(folder)).mode & 0o777).toBe(0o755);
  });
});

describe('the credential sent to Graph', () => {
  it('holds only the public certificate, keeps the current credentials, and is found in place on the next run', () => {
    const existing = { keyId: 'k-1', type: 'AsymmetricX509Cert', usage: 'Verify', displayName: 'CN=old', customKeyIdentifier: 'b2xk', startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2027-01-01T00:00:00Z', key: 'b2xka2V5' };
    const body = getApplicationPatch({ kind: 'add-certificate', certificate: generated.info, dropKeyIds: [], description: '' }, { ...broker, keyCredentials: [existing] }, null, null);
    const sent = JSON.stringify(body);
    expect(sent).not.toContain('PRIVATE KEY');
    expect(sent).not.toContain(generated.pem.split('\n')[1] ?? 'x');
    expect(body.keyCredentials).toHaveLength(2);
    expect(body.keyCredentials?.[0]).toEqual(existing);
    // What Graph will return for it (with the keyId it assigns).
    const registered = keyCredentialSchema.parse({ ...(body.keyCredentials?.[1] as object), keyId: 'k-2' });
    expect(isCertificateInPlace(generated.info, [registered], NOW)).toBe(true);
  });

  it('drops the expired credentials it is told to, and refuses to lose one whose key Graph did not return', () => {
    const expired = { keyId: 'k-old', type: 'AsymmetricX509Cert', usage: 'Verify', displayName: null, customKeyIdentifier: null, startDateTime: null, endDateTime: '2025-01-01T00:00:00Z', key: null };
    const action = { kind: 'add-certificate' as const, certificate: generated.info, dropKeyIds: ['k-old'], description: '' };
    expect(getApplicationPatch(action, { ...broker, keyCredentials: [expired] }, null, null).keyCredentials).toHaveLength(1);
    expect(() => getApplicationPatch({ ...action, dropKeyIds: [] }, { ...broker, keyCredentials: [expired] }, null, null)).toThrow(/did not return the key of certificate credential k-old/);
  });
});
