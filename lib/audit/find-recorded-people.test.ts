import { afterEach, describe, expect, test } from 'vitest';
import { appendAuditEvent, type AuditEventInput } from '@/lib/audit/append-audit-event';
import { findRecordedPeople } from '@/lib/audit/find-recorded-people';
import { DB_KINDS, TEST_CONTEXT, useTestDatabases } from '@/lib/testing/audit';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import type { TestDb } from '@/lib/testing/db';

const BIANCA = { id: 'a0000000-0000-4000-8000-0000000000b1', displayName: 'Bianca Pisani', userPrincipalName: 'bianca@contoso.test' };
const TARGET = { id: 'a0000000-0000-4000-8000-0000000000c1', displayName: 'Carl 100%_Sure', userPrincipalName: 'carl@contoso.test' };
const REQUEST = 'b0000000-0000-4000-8000-000000000001';

function denied(names: AuditEventInput['names'] = [], actorName: typeof BIANCA | null = BIANCA): AuditEventInput<'tap_request.denied'> {
  return {
    type: 'tap_request.denied',
    actorId: BIANCA.id,
    targetId: TARGET.id,
    requestId: REQUEST,
    data: { decidedBy: BIANCA.id, reason: 'no', policyVersion: 1 },
    context: { ...TEST_CONTEXT, ...(actorName === null ? {} : { actorName }) },
    names,
  };
}

describe.each(DB_KINDS)('recorded names on %s', (kind) => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('an event records its actor (from the caller) and the names it is given, once per version, in its own statement; the picker finds them', async () => {
    db = await databases.open(kind);
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, denied([TARGET])));
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, denied([TARGET, TARGET])));
    // The caller's name is recorded only for events the caller is the actor of.
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...denied([], { ...BIANCA, id: 'someone-else', displayName: 'Not Her' }) }));
    const rows = await db.prisma.recordedName.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map(({ id, displayName, userPrincipalName }) => ({ id, displayName, userPrincipalName }))).toEqual([BIANCA, TARGET]);

    expect(await findRecordedPeople(db.prisma, 'BIAN')).toEqual([BIANCA]);
    expect(await findRecordedPeople(db.prisma, 'contoso')).toEqual([BIANCA, TARGET]);
    expect(await findRecordedPeople(db.prisma, TARGET.id)).toEqual([TARGET]);
    // LIKE's wildcards are plain characters.
    expect(await findRecordedPeople(db.prisma, '100%_s')).toEqual([TARGET]);
    expect(await findRecordedPeople(db.prisma, '%')).toEqual([TARGET]);
    expect(await findRecordedPeople(db.prisma, 'nobody')).toEqual([]);

    // A renamed person: found by either name, shown with the newest.
    const renamed = { ...BIANCA, displayName: 'Bianca Rossi' };
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, denied([], renamed)));
    expect(await findRecordedPeople(db.prisma, 'pisani')).toEqual([renamed]);
    expect(await db.prisma.recordedName.count({ where: { id: BIANCA.id } })).toBe(2);
    // Names are beside the chain, not in it.
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 4 });
  });

  test("an event of a request records the request's target as the request named it", async () => {
    db = await databases.open(kind);
    const dana = { id: 'a0000000-0000-4000-8000-0000000000d1', displayName: 'Dana Smith', userPrincipalName: 'dana@contoso.test' };
    await db.prisma.tapRequest.create({
      data: {
        id: REQUEST,
        status: 'pending_approval',
        requesterId: BIANCA.id,
        targetUserId: dana.id,
        targetDisplayName: dana.displayName,
        targetUserPrincipalName: dana.userPrincipalName,
        justification: 'Lost phone',
        lifetimeInMinutes: 60,
        isUsableOnce: true,
        chain: [BIANCA.id],
        depth: 1,
        policyVersion: 1,
      },
    });
    // Without any name given, and for an event whose target is someone else, nothing of Dana's.
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...denied([], null) }));
    expect(await db.prisma.recordedName.count()).toBe(0);
    await db.prisma.$transaction((tx) => appendAuditEvent(tx, { ...denied([], null), targetId: dana.id }));
    expect(await findRecordedPeople(db.prisma, 'dana')).toEqual([dana]);
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 2 });
  });
});
