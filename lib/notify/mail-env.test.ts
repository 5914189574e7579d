/** MAIL_SENDER, APPROVER_NOTIFICATION_ADDRESSES and MAIL_DIGEST_MINUTES as lib/env.ts validates them. */
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from '@/lib/env';

const API = '11111111-1111-4111-8111-111111111111';
const base = (overrides: Record<string, string | undefined> = {}) => ({
  ENTRA_AUTHORITY_HOST: 'https://login.microsoftonline.com',
  ENTRA_TENANT_ID: '00000000-0000-4000-8000-000000000001',
  PORTAL_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
  API_CLIENT_ID: API,
  API_SCOPE: `api://${API}/access_as_user`,
  BROKER_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
  BROKER_CLIENT_SECRET: 'super-secret-value',
  GRAPH_BASE_URL: 'https://graph.microsoft.com',
  ...overrides,
});

function issuesOf(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof EnvError) return error.issues;
    throw error;
  }
  throw new Error('expected EnvError');
}

describe('notification settings', () => {
  it('are off when MAIL_SENDER is unset or empty', () => {
    expect(parseEnv(base()).mail).toEqual({ sender: null, approverAddresses: [], digestMinutes: 5 });
    expect(parseEnv(base({ MAIL_SENDER: ' ' })).mail).toEqual({ sender: null, approverAddresses: [], digestMinutes: 5 });
  });

  it('take a UPN or object id as sender and a de-duplicated address list', () => {
    expect(parseEnv(base({ MAIL_SENDER: 'tap-broker@contoso.com', APPROVER_NOTIFICATION_ADDRESSES: ' a@contoso.com, B@contoso.com,,b@contoso.com ' })).mail).toEqual({
      sender: 'tap-broker@contoso.com',
      approverAddresses: ['a@contoso.com', 'b@contoso.com'],
      digestMinutes: 5,
    });
    expect(parseEnv(base({ MAIL_SENDER: '44444444-4444-4444-8444-444444444444' })).mail).toEqual({
      sender: '44444444-4444-4444-8444-444444444444',
      approverAddresses: [],
      digestMinutes: 5,
    });
  });

  it('take MAIL_DIGEST_MINUTES as whole minutes from 0 (one mail per request) to 60, default 5', () => {
    const sender = { MAIL_SENDER: 'tap-broker@contoso.com' };
    expect(parseEnv(base({ ...sender, MAIL_DIGEST_MINUTES: '0' })).mail.digestMinutes).toBe(0);
    expect(parseEnv(base({ ...sender, MAIL_DIGEST_MINUTES: '60' })).mail.digestMinutes).toBe(60);
    expect(parseEnv(base({ ...sender, MAIL_DIGEST_MINUTES: '' })).mail.digestMinutes).toBe(5);
    for (const bad of ['-1', '61', '2.5', 'five']) {
      expect(issuesOf(base({ ...sender, MAIL_DIGEST_MINUTES: bad })), bad).toEqual(['MAIL_DIGEST_MINUTES: must be a whole number of minutes from 0 to 60']);
    }
    expect(issuesOf(base({ MAIL_DIGEST_MINUTES: '10' }))).toEqual(['MAIL_DIGEST_MINUTES: is only used with MAIL_SENDER (the mailbox notifications are sent from)']);
  });

  it('refuse malformed values and approver addresses without a sender', () => {
    expect(issuesOf(base({ MAIL_SENDER: 'not a mailbox' }))).toEqual([expect.stringMatching(/^MAIL_SENDER: /)]);
    expect(issuesOf(base({ MAIL_SENDER: 'x@contoso.com', APPROVER_NOTIFICATION_ADDRESSES: 'a@contoso.com, nobody' }))).toEqual([
      'APPROVER_NOTIFICATION_ADDRESSES: must be comma-separated mail addresses (not: nobody)',
    ]);
    expect(issuesOf(base({ APPROVER_NOTIFICATION_ADDRESSES: 'a@contoso.com' }))).toEqual([
      'APPROVER_NOTIFICATION_ADDRESSES: is only used with MAIL_SENDER (the mailbox notifications are sent from)',
    ]);
  });
});
