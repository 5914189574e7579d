/**
 * Graph `sendMail` in the local tenant and its mail log, driven over HTTPS with app tokens from
 * msal-node: permission check, validation answers, the fault, and what the log and its page show.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultFaults } from '../faults';
import { getMailLog } from '../mail-log';
import { userIdFromUpn } from '../seed';
import { startTestTenant, type TestTenant } from '../testing';
import { getAppToken, type TenantEndpoint } from './test-support';

const TENANT_ID = '7a0c1b7e-2a41-4c3e-9d0b-6a1f2e3d4c5b';
const SENDER = { clientId: '7b2c3d4e-0000-4000-8000-00000000b001', secret: 'sender-secret-for-tests' };
const NO_MAIL = { clientId: '7b2c3d4e-0000-4000-8000-00000000a001', secret: 'reader-secret-for-tests' };

function seed(): Record<string, unknown> {
  return {
    tenantId: TENANT_ID,
    portal: { clientId: '7b2c3d4e-0000-4000-8000-00000000c001', apiClientId: '7b2c3d4e-0000-4000-8000-00000000c002', scope: 'access_as_user', redirectUris: ['http://localhost:3000'] },
    broker: { clientId: SENDER.clientId, clientSecret: SENDER.secret, graphPermissions: ['User.Read.All', 'Mail.Send'] },
    automation: { clientId: NO_MAIL.clientId, clientSecret: NO_MAIL.secret, graphPermissions: ['User.ReadWrite.All'] },
    tapPolicy: { state: 'enabled' },
    users: [
      { userPrincipalName: 'mailbox@contoso.test', displayName: 'Broker Mailbox', password: 'pw-mailbox', accountEnabled: false },
      { userPrincipalName: 'ann@contoso.test', displayName: 'Ann', password: 'pw-ann', mail: 'ann.mail@contoso.test' },
    ],
  };
}

let tenant: TestTenant;
let senderToken: string;
let noMailToken: string;

async function post(token: string, path: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const response = await tenant.fetch(`${tenant.url}/graph/v1.0${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const message = (over: Record<string, unknown> = {}) => ({
  message: {
    subject: 'Hello <Ann>',
    body: { contentType: 'HTML', content: '<p>Hi <b>Ann</b><script>alert(1)</script></p>' },
    toRecipients: [{ emailAddress: { address: 'ann.mail@contoso.test', name: 'Ann' } }],
    ...over,
  },
  saveToSentItems: false,
});

function errorCode(json: Record<string, unknown>): unknown {
  return (json.error as { code?: unknown } | undefined)?.code;
}

beforeAll(async () => {
  tenant = await startTestTenant({ seed: seed() });
  const endpoint: TenantEndpoint = { url: tenant.url, certPem: tenant.certPem, tenantId: TENANT_ID };
  senderToken = await getAppToken(endpoint, SENDER.clientId, SENDER.secret);
  noMailToken = await getAppToken(endpoint, NO_MAIL.clientId, NO_MAIL.secret);
});

afterAll(async () => {
  await tenant?.close();
});

beforeEach(() => {
  Object.assign(tenant.ctx.faults, defaultFaults());
  getMailLog(tenant.ctx).length = 0;
});

describe('POST /users/{id|upn}/sendMail', () => {
  it('accepts with 202 and an empty body, and records the message as sent from the mailbox', async () => {
    const byUpn = await post(senderToken, '/users/mailbox@contoso.test/sendMail', message());
    expect(byUpn).toMatchObject({ status: 202, text: '' });
    const byId = await post(senderToken, `/users/${userIdFromUpn('mailbox@contoso.test')}/sendMail`, message({ subject: 'second' }));
    expect(byId.status).toBe(202);

    const log = getMailLog(tenant.ctx);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      from: { address: 'mailbox@contoso.test', name: 'Broker Mailbox' },
      senderUserId: userIdFromUpn('mailbox@contoso.test'),
      appId: SENDER.clientId,
      subject: 'Hello <Ann>',
      body: { contentType: 'html', content: '<p>Hi <b>Ann</b><script>alert(1)</script></p>' },
      toRecipients: [{ address: 'ann.mail@contoso.test', name: 'Ann' }],
      ccRecipients: [],
      saveToSentItems: false,
    });
    expect(log[1]?.subject).toBe('second');
    expect(tenant.ctx.stats.events['mail.sent']).toBeGreaterThanOrEqual(2);
  });

  it('refuses a client without Mail.Send, and records nothing', async () => {
    const denied = await post(noMailToken, '/users/mailbox@contoso.test/sendMail', message());
    expect(denied.status).toBe(403);
    expect(errorCode(denied.json)).toBe('ErrorAccessDenied');
    expect(getMailLog(tenant.ctx)).toHaveLength(0);
  });

  it('answers validation errors like Graph', async () => {
    const cases: [unknown, number, string][] = [
      [message({ toRecipients: [] }), 400, 'ErrorInvalidRecipients'],
      [message({ toRecipients: [{ emailAddress: { address: 'not-an-address' } }] }), 400, 'ErrorInvalidRecipients'],
      [message({ colour: 'red' }), 400, 'RequestBodyRead'],
      [message({ body: { contentType: 'markdown', content: 'x' } }), 400, 'RequestBodyRead'],
      [{ saveToSentItems: false }, 400, 'ErrorInvalidParameter'],
      [{ ...message(), extra: 1 }, 400, 'RequestBodyRead'],
      [{ ...message(), saveToSentItems: 'no' }, 400, 'RequestBodyRead'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await post(senderToken, '/users/mailbox@contoso.test/sendMail', body);
      expect({ status: answer.status, code: errorCode(answer.json) }).toEqual({ status, code });
    }
    const unknownUser = await post(senderToken, '/users/nobody@contoso.test/sendMail', message());
    expect({ status: unknownUser.status, code: errorCode(unknownUser.json) }).toEqual({ status: 404, code: 'ErrorInvalidUser' });
    const wrongType = await post(senderToken, '/users/mailbox@contoso.test/sendMail', JSON.stringify(message()), 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(getMailLog(tenant.ctx)).toHaveLength(0);
  });

  it('fault sendMailFailNext answers 503 without recording, then recovers', async () => {
    tenant.ctx.faults.sendMailFailNext = 1;
    const failed = await post(senderToken, '/users/mailbox@contoso.test/sendMail', message());
    expect({ status: failed.status, code: errorCode(failed.json) }).toEqual({ status: 503, code: 'serviceNotAvailable' });
    expect(getMailLog(tenant.ctx)).toHaveLength(0);
    expect((await post(senderToken, '/users/mailbox@contoso.test/sendMail', message())).status).toBe(202);
    expect(getMailLog(tenant.ctx)).toHaveLength(1);
  });

  it('works inside $batch', async () => {
    const batch = await post(senderToken, '/$batch', {
      requests: [{ id: '1', method: 'POST', url: '/users/mailbox@contoso.test/sendMail', headers: { 'Content-Type': 'application/json' }, body: message() }],
    });
    expect(batch.status).toBe(200);
    expect((batch.json.responses as { status: number }[])[0]?.status).toBe(202);
    expect(getMailLog(tenant.ctx)).toHaveLength(1);
  });
});

describe('the mail log admin routes', () => {
  it('lists messages as JSON and as a page with bodies sandboxed, and resets', async () => {
    await post(senderToken, '/users/mailbox@contoso.test/sendMail', message());
    const json = await tenant.fetch(`${tenant.url}/_tenant/mail`);
    const body = (await json.json()) as { messages: { subject: string; toRecipients: { address: string }[] }[] };
    expect(body.messages.map((m) => [m.subject, m.toRecipients.map((r) => r.address)])).toEqual([['Hello <Ann>', ['ann.mail@contoso.test']]]);

    const page = await tenant.fetch(`${tenant.url}/_tenant/mail.html`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('Hello &lt;Ann&gt;');
    expect(html).toContain('sandbox=""');
    // The message's markup only ever appears escaped, inside srcdoc.
    expect(html).not.toContain('<script>');

    const reset = await tenant.fetch(`${tenant.url}/_tenant/mail/reset`, { method: 'POST' });
    expect(await reset.json()).toEqual({ messages: [] });
    expect(getMailLog(tenant.ctx)).toHaveLength(0);
  });
});
