/**
 * Tests only: the org chart, actors, contexts and probes the request-lifecycle tests share. The
 * actors come from real access tokens of the in-process tenant (ROPC), verified by the portal's
 * own token validation — no hand-built identities.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Actor } from '@/lib/auth/actor';
import { verifyAccessToken } from '@/lib/auth/verify-access-token';
import type { RequestContext } from '@/lib/core/request-context';
import type { PrismaClient } from '@/lib/db/generated/client';
import { createLogger } from '@/lib/log';
import { BROKER_GRAPH_PERMISSIONS, buildTestSeed, TEST_DOMAIN, TEST_PORTAL_CLIENT_ID, TEST_TENANT_ID, type LocalTenant, type TestSeedUser } from '@/lib/testing/local-tenant';

const inDays = (days: number) => new Date(Date.now() + days * 24 * 60 * 60_000).toISOString();

/**
 * ceo (admin) → mgr → report → deep; mgr also manages the ineligible ones and a new hire.
 * `other` is a second manager under ceo, with `elsewhere` below; approvers and the auditor sit
 * outside every chain but ceo's.
 */
export const LIFECYCLE_USERS: TestSeedUser[] = [
  { upn: 'ceo', displayName: 'Cleo Chief', appRoles: ['TapBroker.Admin'] },
  { upn: 'mgr', displayName: 'Max Manager', manager: 'ceo' },
  { upn: 'report', displayName: 'Rita Report', manager: 'mgr' },
  { upn: 'deep', displayName: 'Dee Deep', manager: 'report' },
  { upn: 'report2', displayName: 'Ron Report', manager: 'mgr' },
  { upn: 'report3', displayName: 'Rae Report', manager: 'mgr' },
  { upn: 'report4', displayName: 'Roy Report', manager: 'mgr' },
  { upn: 'guest', displayName: 'Gus Guest', manager: 'mgr', userType: 'Guest' },
  { upn: 'disabled', displayName: 'Dis Abled', manager: 'mgr', accountEnabled: false },
  { upn: 'globaladmin', displayName: 'Gla Admin', manager: 'mgr', directoryRoles: ['Global Administrator'] },
  { upn: 'reader', displayName: 'Rea Der', manager: 'mgr', directoryRoles: ['Directory Readers'] },
  { upn: 'newhire', displayName: 'Nia Newhire', manager: 'mgr', employeeHireDate: inDays(3) },
  { upn: 'other', displayName: 'Otis Other', manager: 'ceo' },
  { upn: 'elsewhere', displayName: 'Elsa Where', manager: 'other' },
  { upn: 'approver', displayName: 'Al Approver', manager: 'ceo', appRoles: ['TapBroker.Approver'] },
  { upn: 'approver2', displayName: 'Ava Approver', manager: 'ceo', appRoles: ['TapBroker.Approver'] },
  { upn: 'approvermgr', displayName: 'Apu Approver-Manager', manager: 'ceo', appRoles: ['TapBroker.Approver'] },
  { upn: 'approverreport', displayName: 'Ari Report', manager: 'approvermgr' },
  { upn: 'approverdeep', displayName: 'Ada Deep', manager: 'approverreport' },
  { upn: 'auditor', displayName: 'Aud Auditor', manager: 'ceo', appRoles: ['TapBroker.Auditor'] },
  { upn: 'outsider', displayName: 'Otto Outsider' },
];

export function lifecycleSeed(): Record<string, unknown> {
  return buildTestSeed(LIFECYCLE_USERS);
}

/** The mailbox notifications are sent as (MAIL_SENDER) in {@link lifecycleSeedWithMailbox}. */
export const TEST_MAILBOX = `mailer@${TEST_DOMAIN}`;

/** {@link lifecycleSeed} plus {@link TEST_MAILBOX} (a disabled account, as a shared mailbox is) and the broker's `Mail.Send`. */
export function lifecycleSeedWithMailbox(): Record<string, unknown> {
  return buildTestSeed([...LIFECYCLE_USERS, { upn: 'mailer', displayName: 'TAP Broker Mail', accountEnabled: false }], {
    brokerPermissions: [...BROKER_GRAPH_PERMISSIONS, 'Mail.Send'],
  });
}

/** Actors from real tokens, cached per user name. */
export function actorsFor(local: LocalTenant): (name: string) => Promise<Actor> {
  const cache = new Map<string, Promise<Actor>>();
  return (name) => {
    let actor = cache.get(name);
    if (actor === undefined) {
      actor = (async () => verifyAccessToken(`Bearer ${await local.getUserToken(name)}`))();
      cache.set(name, actor);
    }
    return actor;
  };
}

/** A logger whose every line is kept, to prove what never reaches the logs. */
export function capturingContext(): { ctx: () => RequestContext; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const log = createLogger(stream, 'debug');
  return { lines, ctx: () => ({ requestId: `req-${randomUUID()}`, ip: '192.0.2.10', userAgent: 'vitest lifecycle', log }) };
}

/** HTTP round trips the tenant's Graph served so far (a `$batch` is one). */
export function graphRoundTrips(local: LocalTenant): number {
  return Object.values(local.tenant.ctx.stats.graph).reduce((sum, n) => sum + n, 0);
}

/** How many TAP methods the tenant has created so far. */
export function tapCreates(local: LocalTenant): number {
  return local.tenant.ctx.stats.events['tapMethod.created'] ?? 0;
}

/** The target's TAP methods as Graph holds them (read with the broker's own app token). */
export async function graphTapMethods(local: LocalTenant, userId: string): Promise<{ id: string; createdDateTime: string }[]> {
  const token = await local.getAppToken(`${local.url}/.default`);
  const response = await fetch(`${local.url}/graph/v1.0/users/${userId}/authentication/temporaryAccessPassMethods`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`listing TAP methods answered ${response.status}`);
  return ((await response.json()) as { value: { id: string; createdDateTime: string }[] }).value;
}

/** Signs `name` in with the pass instead of the password (ROPC), as the person would; the HTTP status. */
export async function signInWithPass(local: LocalTenant, name: string, pass: string): Promise<number> {
  const response = await fetch(`${local.url}/${TEST_TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: TEST_PORTAL_CLIENT_ID,
      scope: local.apiScope,
      username: `${name}@${TEST_DOMAIN}`,
      password: pass,
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Moves `user` under `newManager` through Graph, as an HR system would (the automation client). */
export async function moveUser(local: LocalTenant, user: string, newManager: string): Promise<void> {
  const token = await local.getAppToken(`${local.url}/.default`, 'automation');
  const response = await fetch(`${local.url}/graph/v1.0/users/${local.userId(user)}/manager/$ref`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${local.userId(newManager)}` }),
  });
  if (response.status !== 204) throw new Error(`moving ${user} answered ${response.status}`);
}

/** Patches the tenant's fault state. */
export function setFaults(local: LocalTenant, patch: Partial<LocalTenant['tenant']['ctx']['faults']>): void {
  Object.assign(local.tenant.ctx.faults, patch);
}

/** Every text the database holds about requests and audit events, for leak checks. */
export async function dumpDatabaseText(db: PrismaClient): Promise<string> {
  const rows = await db.$queryRaw<{ dump: string }[]>`
    SELECT coalesce((SELECT json_agg(t)::text FROM tap_request t), '') || coalesce((SELECT json_agg(a)::text FROM audit_event a), '') AS dump`;
  return rows[0]?.dump ?? '';
}

/** Audit event types for one request, in order. */
export async function auditTypesFor(db: PrismaClient, requestId: string): Promise<string[]> {
  const events = await db.auditEvent.findMany({ where: { requestId }, orderBy: { seq: 'asc' }, select: { type: true } });
  return events.map((e) => e.type);
}

/** Stores a new policy version (tests arrange policy directly; the admin route is B's to test). */
export async function storePolicy(
  db: PrismaClient,
  patch: Partial<{
    maxDepth: number | null;
    requireApproval: 'always' | 'never' | 'indirect_only';
    defaultLifetimeInMinutes: number;
    maxLifetimeInMinutes: number;
    isUsableOnce: boolean;
    approvalValidityMinutes: number;
    maxIssuancesPerManagerPerDay: number;
    maxPendingRequestsPerRequester: number;
    stepUpAuthContextId: string | null;
    stepUpActions: string[];
  }>,
): Promise<void> {
  const current = await db.policyVersion.findFirstOrThrow({ orderBy: { version: 'desc' } });
  const { version: _version, createdAt: _createdAt, ...fields } = current;
  await db.policyVersion.create({ data: { ...fields, ...patch, createdBy: 'test' } });
}
