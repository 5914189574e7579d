import { PrismaPg } from '@prisma/adapter-pg';
import { afterEach, describe, expect, test } from 'vitest';
import { appendAuditEvent, AuditWriteError, type AuditEventInput } from '@/lib/audit/append-audit-event';
import { AuditSecretError, AuditSecretKeyError } from '@/lib/audit/assert-no-secrets';
import { canonicalJson, computeAuditEventHash, GENESIS_PREV_HASH } from '@/lib/audit/canonical';
import { BrokerError } from '@/lib/core/errors';
import { appendCommitted, DB_KINDS, TEST_CONTEXT, useTestDatabases } from '@/lib/testing/audit';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain';
import { PrismaClient, type Prisma } from '@/lib/db/generated/client';
import type { TestDb } from '@/lib/testing/db';

const ACTOR = 'a0000000-0000-4000-8000-000000000001';
const TARGET = 'a0000000-0000-4000-8000-000000000002';
const REQUEST = 'b0000000-0000-4000-8000-000000000001';

function denied(n: number): AuditEventInput<'tap_request.denied'> {
  return {
    type: 'tap_request.denied',
    actorId: ACTOR,
    targetId: TARGET,
    requestId: REQUEST,
    data: { decidedBy: ACTOR, reason: `reason number ${n}`, policyVersion: 1 },
    context: TEST_CONTEXT,
  };
}

async function append(prisma: PrismaClient, event: AuditEventInput = denied(0)) {
  return appendCommitted(prisma, event);
}

async function appendMany(prisma: PrismaClient, count: number): Promise<void> {
  for (let n = 1; n <= count; n += 1) await append(prisma, denied(n));
}

/** Runs `statements` with the append-only trigger off, as a table owner could: "behind its back". */
async function behindTheTriggersBack(prisma: PrismaClient, ...statements: string[]): Promise<void> {
  await prisma.$executeRawUnsafe('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
  try {
    for (const statement of statements) await prisma.$executeRawUnsafe(statement);
  } finally {
    await prisma.$executeRawUnsafe('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
  }
}

async function countRows(prisma: PrismaClient): Promise<{ audit: number; policy: number }> {
  return { audit: await prisma.auditEvent.count(), policy: await prisma.policyVersion.count() };
}

describe.each(DB_KINDS)('the audit trail on %s', (kind) => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('appends a hash chain: seq from 1, prevHash links, hash over the canonical encoding, context recorded', async () => {
    db = await databases.open(kind);
    const first = await append(db.prisma, denied(1));
    const second = await append(db.prisma, { ...denied(2), targetId: undefined, requestId: null });
    expect(first.seq).toBe(1n);
    expect(second.seq).toBe(2n);

    const rows = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(rows).toHaveLength(2);
    const [one, two] = rows;
    expect(one?.prevHash).toBe(GENESIS_PREV_HASH);
    expect(one?.hash).toBe(first.hash);
    expect(one?.id).toBe(first.id);
    expect(two?.prevHash).toBe(first.hash);
    expect(two?.targetId).toBeNull();
    expect(two?.requestId).toBeNull();
    for (const row of rows) expect(computeAuditEventHash(row.prevHash, row)).toBe(row.hash);
    for (const row of rows) expect(row.dataCanonical).toBe(canonicalJson(row.data));
    expect(one?.data).toEqual({
      decidedBy: ACTOR,
      reason: 'reason number 1',
      policyVersion: 1,
      context: { requestId: 'req-test-0001', ip: '127.0.0.1', userAgent: 'vitest' },
    });
    expect(two && one && two.at >= one.at).toBe(true);

    expect(await verifyAuditChain(db.prisma)).toEqual({ ok: true, count: 2, headHash: second.hash });
  });

  test('an empty trail verifies, with no head', async () => {
    db = await databases.open(kind);
    expect(await verifyAuditChain(db.prisma)).toEqual({ ok: true, count: 0, headHash: null });
  });

  test('the database refuses UPDATE, DELETE and TRUNCATE on audit_event, even of no row', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 3);
    const before = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    const refused = [
      `UPDATE audit_event SET data = '{}'::jsonb WHERE seq = 2`,
      `UPDATE audit_event SET type = 'x' WHERE false`,
      'DELETE FROM audit_event WHERE seq = 3',
      'DELETE FROM audit_event',
      'TRUNCATE audit_event',
    ];
    for (const statement of refused) {
      await expect(db.prisma.$executeRawUnsafe(statement), statement).rejects.toThrow(/audit_event.*append-only/);
    }
    await expect(db.prisma.auditEvent.updateMany({ data: { type: 'x' } })).rejects.toThrow(/append-only/);
    await expect(db.prisma.auditEvent.deleteMany({})).rejects.toThrow(/append-only/);
    expect(await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } })).toEqual(before);
    expect((await verifyAuditChain(db.prisma)).ok).toBe(true);
  });

  test('policy versions are append-only too, and version 1 is the stored default', async () => {
    db = await databases.open(kind);
    const rows = await db.prisma.policyVersion.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ version: 1, createdBy: 'system', requireApproval: 'indirect_only', maxDepth: null });
    for (const statement of ['UPDATE policy_version SET max_depth = 1', 'DELETE FROM policy_version', 'TRUNCATE policy_version CASCADE']) {
      await expect(db.prisma.$executeRawUnsafe(statement), statement).rejects.toThrow(/policy_version.*append-only/);
    }
    expect(await db.prisma.policyVersion.findMany()).toEqual(rows);
  });

  test('an event edited behind the triggers’ back is reported at its seq', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 5);
    await behindTheTriggersBack(db.prisma, `UPDATE audit_event SET data = jsonb_set(data, '{reason}', '"edited"') WHERE seq = 3`);
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: false, count: 5, firstBrokenSeq: 3 });
  });

  test('each hashed column counts: actor, target, request, type and time edits are detected', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 4);
    const edits: [number, string][] = [
      [4, "UPDATE audit_event SET actor_id = 'someone-else' WHERE seq = 4"],
      [3, "UPDATE audit_event SET at = at + interval '1 millisecond' WHERE seq = 3"],
      [2, 'UPDATE audit_event SET request_id = NULL WHERE seq = 2'],
      [1, "UPDATE audit_event SET type = 'tap_request.approved' WHERE seq = 1"],
    ];
    for (const [seq, statement] of edits) {
      await behindTheTriggersBack(db.prisma, statement);
      expect(await verifyAuditChain(db.prisma), statement).toMatchObject({ ok: false, firstBrokenSeq: seq });
    }
  });

  test('an edit whose hash was recomputed breaks the link to the next event', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 4);
    const row = await db.prisma.auditEvent.findUniqueOrThrow({ where: { seq: 2n } });
    const data = { ...(row.data as Prisma.JsonObject), reason: 'rewritten' };
    const hash = computeAuditEventHash(row.prevHash, { ...row, data });
    await behindTheTriggersBack(
      db.prisma,
      `UPDATE audit_event SET data = '${JSON.stringify(data)}'::jsonb, data_canonical = '${canonicalJson(data)}', hash = '${hash}' WHERE seq = 2`,
    );
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: false, firstBrokenSeq: 3 });
  });

  test('a data_canonical edited behind the triggers’ back is reported at its seq, even when it still means the same data', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 5);
    const edits: [number, string][] = [
      // What an export would print as the event's data: a different reason, the hash untouched.
      [4, `UPDATE audit_event SET data_canonical = replace(data_canonical, 'reason number 4', 'edited') WHERE seq = 4`],
      // The same JSON value, but not the canonical text the hash covers (members out of order).
      [2, `UPDATE audit_event SET data_canonical = (data - 'reason')::text WHERE seq = 2`],
    ];
    for (const [seq, statement] of edits) {
      await behindTheTriggersBack(db.prisma, statement);
      expect(await verifyAuditChain(db.prisma), statement).toMatchObject({ ok: false, count: 5, firstBrokenSeq: seq });
    }
    // An event without data_canonical (written before migration 0012) is checked by its data alone.
    await behindTheTriggersBack(db.prisma, 'UPDATE audit_event SET data_canonical = NULL WHERE seq IN (2, 4)');
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 5 });
  });

  test('deleted events are reported at the first missing seq', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 5);
    await behindTheTriggersBack(db.prisma, 'DELETE FROM audit_event WHERE seq = 2');
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: false, count: 4, firstBrokenSeq: 2 });
    await behindTheTriggersBack(db.prisma, 'DELETE FROM audit_event WHERE seq = 1');
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: false, count: 3, firstBrokenSeq: 1 });
  });

  test('reordered events are detected', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 5);
    await behindTheTriggersBack(
      db.prisma,
      'UPDATE audit_event SET seq = -3 WHERE seq = 3',
      'UPDATE audit_event SET seq = 3 WHERE seq = 4',
      'UPDATE audit_event SET seq = 4 WHERE seq = -3',
    );
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: false, count: 5, firstBrokenSeq: 3 });
  });

  test('verify reads in pages: the result does not depend on the page size', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 7);
    const whole = await verifyAuditChain(db.prisma);
    expect(whole).toMatchObject({ ok: true, count: 7 });
    for (const pageSize of [1, 2, 3, 7, 8]) expect(await verifyAuditChain(db.prisma, { pageSize })).toEqual(whole);
    await behindTheTriggersBack(db.prisma, `UPDATE audit_event SET data = '{}'::jsonb WHERE seq = 5`);
    for (const pageSize of [1, 2, 4, 100]) {
      expect(await verifyAuditChain(db.prisma, { pageSize })).toMatchObject({ ok: false, count: 7, firstBrokenSeq: 5 });
    }
  });

  test('concurrent appends in interactive transactions produce one unbroken chain', async () => {
    db = await databases.open(kind);
    const prisma = db.prisma;
    await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        prisma.$transaction(async (tx) => {
          // Work before the append, so that the transactions overlap.
          await tx.policyVersion.findFirst({ orderBy: { version: 'desc' } });
          return appendAuditEvent(tx, denied(n));
        }),
      ),
    );
    const rows = await prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 12 }, (_, n) => n + 1));
    expect(new Set(rows.map((row) => (row.data as Prisma.JsonObject).reason)).size).toBe(12);
    for (let n = 1; n < rows.length; n += 1) expect(rows[n]?.at.getTime()).toBeGreaterThanOrEqual(rows[n - 1]?.at.getTime() ?? 0);
    expect(await verifyAuditChain(prisma)).toMatchObject({ ok: true, count: 12 });
  });

  test('a failed append rolls back the state change it records, and a rolled-back append leaves no trace', async () => {
    db = await databases.open(kind);
    await appendMany(db.prisma, 1);
    const before = await countRows(db.prisma);
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.policyVersion.create({
          data: {
            requireApproval: 'always',
            defaultLifetimeInMinutes: 60,
            maxLifetimeInMinutes: 60,
            isUsableOnce: true,
            approvalValidityMinutes: 60,
            maxIssuancesPerManagerPerDay: 1,
            maxDepth: 1,
            createdBy: ACTOR,
          },
        });
        await appendAuditEvent(tx, { ...denied(2), data: { ...denied(2).data, details: { clientSecret: 'x' } } });
      }),
    ).rejects.toThrow(AuditSecretKeyError);
    await expect(
      db.prisma.$transaction(async (tx) => {
        await appendAuditEvent(tx, denied(3));
        throw new Error('the state change failed after its audit event');
      }),
    ).rejects.toThrow(/state change failed/);
    expect(await countRows(db.prisma)).toEqual(before);
    const next = await append(db.prisma, denied(4));
    expect(next.seq).toBe(2n);
    expect((await verifyAuditChain(db.prisma)).ok).toBe(true);
  });

  if (kind === 'postgres') {
    test('appends from several app instances (separate clients and connections) do not fork the chain', async () => {
      db = await databases.open(kind);
      const instances = Array.from({ length: 3 }, () => new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url ?? '' }) }));
      try {
        await Promise.all(
          instances.flatMap((instance, i) =>
            Array.from({ length: 8 }, (_, n) =>
              instance.$transaction(async (tx) => {
                await tx.$queryRaw`SELECT pg_sleep(0.005)::text`;
                return appendAuditEvent(tx, denied(i * 100 + n));
              }),
            ),
          ),
        );
      } finally {
        await Promise.all(instances.map((instance) => instance.$disconnect()));
      }
      const seqs = (await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' }, select: { seq: true } })).map((row) => Number(row.seq));
      expect(seqs).toEqual(Array.from({ length: 24 }, (_, n) => n + 1));
      expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 24 });
    });
  }
});

describe('appendAuditEvent refuses', () => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('secret-looking keys and values anywhere in data, naming the path and not the value', async () => {
    db = await databases.open('pglite');
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    // Keys are the portal's own code: a defect (500), never blamed on the caller.
    const refusedKeys: [AuditEventInput, RegExp][] = [
      [{ ...denied(1), data: { ...denied(1).data, details: { temporaryAccessPass: 'Abcd1234' } } }, /data\.details\.temporaryAccessPass: the key names a secret/],
      [{ ...denied(1), data: { ...denied(1).data, details: { nested: [{ access_token: 'x' }] } } }, /data\.details\.nested\.0\.access_token/],
      [{ ...denied(1), data: { ...denied(1).data, details: { Password: 'x' } } }, /Password/],
      [{ ...denied(1), data: { ...denied(1).data, details: { pass: 'x' } } }, /details\.pass:/],
      [{ ...denied(1), data: { ...denied(1).data, details: { clientSecret: null } } }, /clientSecret/],
    ];
    for (const [event, message] of refusedKeys) {
      const attempt = append(db.prisma, event);
      await expect(attempt).rejects.toThrow(AuditSecretKeyError);
      await expect(attempt).rejects.not.toBeInstanceOf(BrokerError);
      await expect(attempt).rejects.toThrow(message);
      await expect(attempt).rejects.not.toThrow(/Abcd1234/);
    }
    // Values came from outside: a 400 naming the path and the shape, never the value.
    const refusedValues: [AuditEventInput, string, RegExp][] = [
      [{ ...denied(1), data: { ...denied(1).data, reason: `pasted ${jwt} by mistake` } }, 'data.reason', /looks like a JWT: remove it/],
      [{ ...denied(1), data: { ...denied(1).data, details: { header: 'Bearer abcdefghijklmnopqrstuvwxyz' } } }, 'data.details.header', /bearer credential/],
      [{ ...denied(1), data: { ...denied(1).data, details: { pem: ['-----BEGIN PRIVATE KEY-----\nMII'] } } }, 'data.details.pem.0', /private key/],
    ];
    for (const [event, path, message] of refusedValues) {
      const error: unknown = await append(db.prisma, event).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(AuditSecretError);
      expect(error).toMatchObject({ code: 'validation-failed', status: 400, errors: [{ path, message: expect.stringMatching(message) }] });
      expect((error as BrokerError).detail).toContain(path);
      expect(JSON.stringify({ ...(error as BrokerError), message: (error as Error).message })).not.toMatch(/eyJ|abcdefghijklmnop|MII/);
    }
    expect(await db.prisma.auditEvent.count()).toBe(0);
    // Look-alikes that are not secrets pass.
    await append(db.prisma, {
      ...denied(1),
      data: { ...denied(1).data, details: { passport: 'no', keyboard: 'yes', idempotencyKey: 'k' } },
    });
    expect(await db.prisma.auditEvent.count()).toBe(1);
  });

  test('data that does not match the catalogue, unknown types, bad request ids, and calls outside a transaction', async () => {
    db = await databases.open('pglite');
    const misspelt = { ...denied(1), data: { decidedBy: ACTOR, reasn: 'typo' } } as unknown as AuditEventInput;
    await expect(append(db.prisma, misspelt)).rejects.toThrow(/invalid data for audit event tap_request\.denied: .*reason/);
    const unknownType = { ...denied(1), type: 'tap.exploded' } as unknown as AuditEventInput;
    await expect(append(db.prisma, unknownType)).rejects.toThrow(/unknown audit event type tap\.exploded/);
    await expect(append(db.prisma, { ...denied(1), requestId: 'not-a-uuid' })).rejects.toThrow(/requestId must be a UUID/);
    await expect(append(db.prisma, { ...denied(1), data: { decidedBy: ACTOR, reason: 'nul \u0000 here' } })).rejects.toThrow(/NUL/);
    const notATransaction = db.prisma as unknown as Prisma.TransactionClient;
    await expect(appendAuditEvent(notATransaction, denied(1))).rejects.toThrow(AuditWriteError);
    expect(await db.prisma.auditEvent.count()).toBe(0);
  });

  test('timestamps given as Dates are stored as ISO strings and the user agent is capped', async () => {
    db = await databases.open('pglite');
    await append(db.prisma, {
      type: 'tap_request.approved',
      actorId: 'system',
      requestId: REQUEST,
      data: { decidedBy: 'system', auto: true, approvalExpiresAt: new Date('2030-01-01T00:00:00Z'), chain: [ACTOR], depth: 1, policyVersion: 1 },
      context: { ...TEST_CONTEXT, userAgent: 'x'.repeat(2000) },
    });
    const row = await db.prisma.auditEvent.findFirstOrThrow();
    const data = row.data as Prisma.JsonObject;
    expect(data.approvalExpiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(((data.context as Prisma.JsonObject).userAgent as string).length).toBe(512);
    expect((await verifyAuditChain(db.prisma)).ok).toBe(true);
  });
});

describe("appendAuditEvent cuts the client's own text in the context instead of refusing it", () => {
  const databases = useTestDatabases();
  let db: TestDb;
  afterEach(async () => {
    await db.close();
  });

  test('a token-shaped user agent or client request id is stored redacted, without control characters, and the chain verifies', async () => {
    db = await databases.open('pglite');
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const bearer = 'Bearer abcdefghijklmnopqrstuvwxyz0123456789';
    await append(db.prisma, { ...denied(1), context: { ...TEST_CONTEXT, userAgent: `curl/8 ${bearer}\r\nX-Injected: 1\u0000` } });
    // A removed control character must not join two halves of a token into one the guard would refuse.
    await append(db.prisma, { ...denied(2), context: { ...TEST_CONTEXT, userAgent: `eyJhbGciOiJSUzI1\u0007NiJ9.${jwt.split('.')[1]}.sig`, clientRequestId: 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln' } });
    await append(db.prisma, { ...denied(3), context: { ...TEST_CONTEXT, userAgent: '\u0001\u0002', clientRequestId: 'gw-42' } });
    const contexts = (await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map((row) => (row.data as Prisma.JsonObject).context);
    expect(contexts).toEqual([
      { requestId: TEST_CONTEXT.requestId, ip: TEST_CONTEXT.ip, userAgent: 'curl/8 [redacted]X-Injected: 1' },
      { requestId: TEST_CONTEXT.requestId, ip: TEST_CONTEXT.ip, userAgent: '[redacted]', clientRequestId: '[redacted]' },
      { requestId: TEST_CONTEXT.requestId, ip: TEST_CONTEXT.ip, userAgent: null, clientRequestId: 'gw-42' },
    ]);
    expect(JSON.stringify(contexts)).not.toMatch(/eyJ|abcdefghijklmnop/);
    expect(await verifyAuditChain(db.prisma)).toMatchObject({ ok: true, count: 3 });
  });
});
