/**
 * The local stack's portal environment keeps a real tenant's `.env` out: every key setup:entra
 * writes is set (blank when the stack has none), so `next start` fills none of them from `.env`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ENV_KEYS } from './setup-entra/plan';
import { getLocalPortalProcessEnv } from './stack';

describe('getLocalPortalProcessEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('sets every key setup:entra writes, blank where the stack has no value, and keeps the stack’s own', () => {
    delete process.env.BROKER_CERTIFICATE_PATH;
    delete process.env.MAIL_SENDER;
    const env = getLocalPortalProcessEnv({ ENTRA_AUTHORITY_HOST: 'https://localhost:8443', BROKER_CLIENT_SECRET: 'local-secret' });
    for (const key of ENV_KEYS) expect(env, key).toHaveProperty(key);
    expect(env.BROKER_CERTIFICATE_PATH).toBe('');
    expect(env.MAIL_SENDER).toBe('');
    expect(env.ENTRA_AUTHORITY_HOST).toBe('https://localhost:8443');
    expect(env.BROKER_CLIENT_SECRET).toBe('local-secret');
  });

  it('never passes on this process’s DATABASE_URL: the stack names its database itself', () => {
    process.env.DATABASE_URL = 'postgres://elsewhere/db';
    expect(getLocalPortalProcessEnv({}).DATABASE_URL).toBeUndefined();
    expect(getLocalPortalProcessEnv({ DATABASE_URL: 'postgres://stack/db' }).DATABASE_URL).toBe('postgres://stack/db');
  });
});
