/**
 * `/api/me`'s directory facts against the local tenant: the manager to ask for a pass, whether
 * anyone reports to the caller, and the configured helpdesk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/lib/auth/actor';
import { getMeDirectory } from '@/lib/broker/get-me';
import { resetEnvForTests } from '@/lib/env';
import { logger } from '@/lib/log';
import { buildTestSeed, startLocalTenant, TEST_DOMAIN, type LocalTenant } from '@/lib/testing/local-tenant';

let local: LocalTenant;

beforeAll(async () => {
  local = await startLocalTenant(
    buildTestSeed([
      { upn: 'boss', displayName: 'Boss Person' },
      { upn: 'lead', displayName: 'Team Lead', manager: 'boss' },
      { upn: 'hire', displayName: 'New Hire', manager: 'lead' },
    ]),
  );
});

afterAll(async () => {
  delete process.env['HELPDESK_CONTACT'];
  resetEnvForTests();
  await local?.close();
});

function actor(name: string): Actor {
  return { id: local.userId(name), tenantId: 't', displayName: name, userPrincipalName: `${name}@${TEST_DOMAIN}`, roles: [], authContexts: [], tokenIssuedAt: null };
}

describe('getMeDirectory', () => {
  it('names the manager and says whether anyone reports to the caller', async () => {
    expect(await getMeDirectory(actor('lead'), logger)).toEqual({
      manager: { displayName: 'Boss Person', userPrincipalName: `boss@${TEST_DOMAIN}` },
      hasReports: true,
      helpdeskContact: null,
    });
    expect(await getMeDirectory(actor('hire'), logger)).toMatchObject({ manager: { displayName: 'Team Lead' }, hasReports: false });
  });

  it('gives null for someone with no manager in the directory', async () => {
    expect(await getMeDirectory(actor('boss'), logger)).toMatchObject({ manager: null, hasReports: true });
  });

  it('carries HELPDESK_CONTACT when it is set', async () => {
    process.env['HELPDESK_CONTACT'] = 'mailto:helpdesk@contoso.test';
    resetEnvForTests();
    expect((await getMeDirectory(actor('hire'), logger)).helpdeskContact).toBe('mailto:helpdesk@contoso.test');
  });

  it('leaves the Graph facts out, without failing, when Graph cannot answer', async () => {
    const saved = process.env['GRAPH_BASE_URL'];
    // A port nothing listens on: the batch fails to connect.
    process.env['GRAPH_BASE_URL'] = 'https://127.0.0.1:9/graph';
    resetEnvForTests();
    try {
      const answer = await getMeDirectory(actor('hire'), logger);
      expect(answer).not.toHaveProperty('manager');
      expect(answer).not.toHaveProperty('hasReports');
    } finally {
      process.env['GRAPH_BASE_URL'] = saved;
      resetEnvForTests();
    }
  });
});
