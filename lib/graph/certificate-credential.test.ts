/**
 * The broker's certificate credential (BROKER_CERTIFICATE_PATH): msal-node signs a client
 * assertion with the key, the tenant checks it against the certificate registered for the app,
 * and Graph is then called exactly as with a secret. A certificate the app does not have is
 * refused, and the broker reports Graph as unavailable rather than crash or leak details.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetEnvForTests } from '@/lib/env';
import { getTargetFacts } from '@/lib/graph/get-target-facts';
import { buildTestSeed, startLocalTenant, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;
let dir: string;
let registeredPath: string;
let strangerPath: string;

async function writeCredential(file: string, commonName: string): Promise<{ path: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: commonName }], { keySize: 2048, algorithm: 'sha256' });
  const target = path.join(dir, file);
  await writeFile(target, `${pems.private}\n${pems.cert}\n`, { mode: 0o600 });
  return { path: target, cert: pems.cert };
}

function useCertificate(certPath: string): void {
  delete process.env.BROKER_CLIENT_SECRET;
  process.env.BROKER_CERTIFICATE_PATH = certPath;
  resetEnvForTests();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tap-broker-cert-'));
  const registered = await writeCredential('broker.pem', 'tap-broker');
  const stranger = await writeCredential('stranger.pem', 'someone-else');
  registeredPath = registered.path;
  strangerPath = stranger.path;
  const seed = buildTestSeed([
    { upn: 'boss', displayName: 'Boss' },
    { upn: 'worker', displayName: 'Worker', manager: 'boss' },
  ]);
  const broker = seed['broker'] as Record<string, unknown>;
  local = await startLocalTenant({ ...seed, broker: { ...broker, certificates: [registered.cert] } });
});

afterAll(async () => {
  await local?.close();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  resetEnvForTests();
});

describe('broker certificate credential', () => {
  it('gets an app token with a signed client assertion and reads Graph with it', async () => {
    useCertificate(registeredPath);
    const tokensBefore = local.tenant.ctx.stats.entra['POST /{tenant}/oauth2/v2.0/token'] ?? 0;
    const facts = await getTargetFacts(local.userId('worker'));
    expect(facts.target?.displayName).toBe('Worker');
    expect(facts.chain.map((m) => m.displayName)).toEqual(['Boss']);
    expect(local.tenant.ctx.stats.entra['POST /{tenant}/oauth2/v2.0/token']).toBe(tokensBefore + 1);
  });

  it('a certificate the app registration does not hold gets no token: upstream-unavailable', async () => {
    useCertificate(strangerPath);
    await expect(getTargetFacts(local.userId('worker'))).rejects.toMatchObject({ code: 'upstream-unavailable' });
  });
});
