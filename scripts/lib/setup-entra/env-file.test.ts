/**
 * The `.env` merge keeps every line it does not own (comments, blank lines, other keys, their
 * order), replaces its keys in place, appends the new ones, and the file is written 0600.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '@/lib/env';
import { mergeEnvFile, parseEnvFile, writeFileAtomic } from '@/scripts/lib/setup-entra/env-file';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'setup-entra-env-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mergeEnvFile', () => {
  const before = ['# portal settings', 'PORT=3100', '', 'BROKER_CLIENT_ID=old-id # from last year', 'export LOG_LEVEL=debug', 'BROKER_CLIENT_ID=duplicate', 'BROKER_CLIENT_SECRET=s3cret', ''].join('\n');

  it('replaces owned keys in place, drops their duplicates and removed keys, keeps the rest, appends new keys', () => {
    const after = mergeEnvFile(before, { BROKER_CLIENT_ID: 'new-id', API_SCOPE: 'api://x/access_as_user' }, ['BROKER_CLIENT_SECRET']);
    expect(after).toBe(
      ['# portal settings', 'PORT=3100', '', 'BROKER_CLIENT_ID=new-id', 'export LOG_LEVEL=debug', '', '# Microsoft Entra registrations (npm run setup:entra)', 'API_SCOPE=api://x/access_as_user', ''].join('\n'),
    );
  });

  it('writes into an empty file and quotes values that need it', () => {
    const after = mergeEnvFile('', { MAIL_SENDER: 'tap@contoso.example', NAME: 'has space # and hash' });
    expect(after).toBe('# Microsoft Entra registrations (npm run setup:entra)\nMAIL_SENDER=tap@contoso.example\nNAME="has space # and hash"\n');
    expect(parseEnvFile(after)).toEqual({ MAIL_SENDER: 'tap@contoso.example', NAME: 'has space # and hash' });
  });

  it('is idempotent', () => {
    const once = mergeEnvFile(before, { BROKER_CLIENT_ID: 'new-id' });
    expect(mergeEnvFile(once, { BROKER_CLIENT_ID: 'new-id' })).toBe(once);
  });
});

describe('parseEnvFile', () => {
  it('reads the first value of a key, unquoted, without a trailing comment', () => {
    expect(parseEnvFile('A=1 # note\nexport B="two words"\nC=\'x\'\nA=2\n# D=4\n')).toEqual({ A: '1', B: 'two words', C: 'x' });
  });
});

describe('writeFileAtomic', () => {
  it('writes the text with mode 0600, replacing the old file and leaving no temporary file', async () => {
    const file = path.join(dir, '.env');
    await writeFile(file, 'OLD=1\n', { mode: 0o644 });
    await writeFileAtomic(file, 'NEW=1\n', 0o600);
    expect(await readFile(file, 'utf8')).toBe('NEW=1\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual(['.env']);
  });
});

describe('the written values pass lib/env.ts', () => {
  it('an .env written by the merge configures the portal', async () => {
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: 'TAP Broker service' }], { keySize: 2048, algorithm: 'sha256' });
    const certPath = path.join(dir, 'broker.pem');
    await writeFile(certPath, `${pems.private}\n${pems.cert}\n`, { mode: 0o600 });
    const api = '11111111-1111-4111-8111-111111111111';
    const text = mergeEnvFile('', {
      ENTRA_AUTHORITY_HOST: 'https://login.microsoftonline.com',
      ENTRA_TENANT_ID: '22222222-2222-4222-8222-222222222222',
      PORTAL_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
      API_CLIENT_ID: api,
      API_SCOPE: `api://${api}/access_as_user`,
      BROKER_CLIENT_ID: '44444444-4444-4444-8444-444444444444',
      BROKER_CERTIFICATE_PATH: certPath,
      GRAPH_BASE_URL: 'https://graph.microsoft.com',
      PORTAL_URL: 'https://tap.contoso.example',
      MAIL_SENDER: 'tap@contoso.example',
    });
    const env = parseEnv(parseEnvFile(text));
    expect(env.api).toMatchObject({ clientId: api, scopeName: 'access_as_user', applicationIdUri: `api://${api}` });
    expect(env.broker.credential.kind).toBe('certificate');
  });
});
