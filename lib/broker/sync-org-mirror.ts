import 'server-only';
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '@/lib/core/request-context';
import type { Prisma, PrismaClient } from '@/lib/db/generated/client';
import { inTransaction, resolveDb, type UseCaseOptions } from '@/lib/db/transaction';
import { readUsersDelta, type UserDeltaChange } from '@/lib/graph/read-users-delta';

/**
 * The org-chart mirror's sync (`syncOrgMirror`): one Graph users delta round per run, applied to
 * org_mirror_user. Consistency rules:
 * - A round's pages are collected in org_mirror_staging and applied in one transaction when the
 *   round's deltaLink arrives; a round that fails half-way leaves the mirror as the last complete
 *   round left it. A full round replaces the mirror (exactly its users); a later round upserts and
 *   deletes.
 * - Only the deltaLink is stored, and only with the round it ends. It is never logged.
 * - One instance at a time: a lease on the state row, claimed and renewed in short statements and
 *   checked by every write (a run whose lease was taken over can no longer write). Not an advisory
 *   lock: a session lock would need one pinned connection (Prisma pools them, PGlite has one) and
 *   a transaction lock would hold a transaction open across Graph round trips.
 */

/** How long a claimed run may go without renewing its lease (every page renews it). */
export const ORG_MIRROR_LEASE_MS = 5 * 60_000;
/** A round that keeps answering 410 after this many fresh starts is a failure, not a loop. */
const MAX_FRESH_STARTS = 2;
const STATE_ID = 1;

export interface SyncOrgMirrorOptions extends UseCaseOptions {
  now?: Date;
  /** `Prefer: odata.maxpagesize` (Graph caps it at 200). */
  pageSize?: number;
  /** Skip the run when another one started less than this long ago (instances share one schedule). */
  minIntervalMs?: number;
  /**
   * Stops the run between pages (graceful shutdown): the staged pages are dropped with the next
   * round, the mirror is untouched, and the lease is released — with the run's start, so another
   * instance's next tick syncs at once instead of waiting out the lease and the shared schedule.
   */
  signal?: AbortSignal;
}

export type SyncOrgMirrorResult =
  | { outcome: 'skipped' }
  | { outcome: 'interrupted' }
  | { outcome: 'synced'; full: boolean; pages: number; changes: number; users: number };

class SyncInterruptedError extends Error {
  override readonly name = 'SyncInterruptedError';
  constructor() {
    super('the org mirror sync was stopped');
  }
}

class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor() {
    super('the org mirror lease was taken over by another run');
  }
}

interface Run {
  db: PrismaClient;
  owner: string;
  clock: () => Date;
}

/** Claims the lease; returns the stored deltaLink (null: none), or undefined when another run holds it or ran too recently. */
async function claimLease(run: Run, minIntervalMs: number): Promise<{ deltaLink: string | null } | undefined> {
  const now = run.clock();
  const until = new Date(now.getTime() + ORG_MIRROR_LEASE_MS);
  const notBefore = new Date(now.getTime() - minIntervalMs);
  const rows = await run.db.$queryRaw<{ delta_link: string | null }[]>`
    INSERT INTO org_mirror_state (id, lease_owner, lease_until, last_started_at)
    VALUES (${STATE_ID}, ${run.owner}, ${until}, ${now})
    ON CONFLICT (id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, last_started_at = excluded.last_started_at
    WHERE (org_mirror_state.lease_until IS NULL OR org_mirror_state.lease_until <= ${now})
      AND (org_mirror_state.last_started_at IS NULL OR org_mirror_state.last_started_at <= ${notBefore})
    RETURNING delta_link`;
  const row = rows[0];
  return row === undefined ? undefined : { deltaLink: row.delta_link };
}

/** Inside a write transaction: renews the lease, or throws when this run no longer holds it. */
async function renewLease(tx: Prisma.TransactionClient, run: Run): Promise<void> {
  const until = new Date(run.clock().getTime() + ORG_MIRROR_LEASE_MS);
  const held = await tx.$executeRaw`UPDATE org_mirror_state SET lease_until = ${until} WHERE id = ${STATE_ID} AND lease_owner = ${run.owner}`;
  if (held !== 1) throw new LeaseLostError();
}

/** Starts a round: empties the staging table; `dropLink` also forgets a link Graph no longer knows. */
async function startRound(run: Run, dropLink: boolean): Promise<void> {
  await inTransaction(run.db, async (tx) => {
    await renewLease(tx, run);
    await tx.$executeRaw`DELETE FROM org_mirror_staging`;
    if (dropLink) await tx.$executeRaw`UPDATE org_mirror_state SET delta_link = NULL WHERE id = ${STATE_ID}`;
  });
}

interface StagedRow {
  id: string;
  removed: boolean;
  manager_known: boolean;
  manager_id: string | null;
  display_name: string | null;
  user_principal_name: string | null;
  account_enabled: boolean | null;
  user_type: string | null;
  job_title: string | null;
  department: string | null;
  employee_hire_date: string | null;
}

/**
 * A page's changes as staging rows, one per user (Graph may repeat a user; the later entry wins,
 * but a manager reported earlier survives a later entry that says nothing about it). In a full
 * round a missing `manager@delta` means "no manager".
 */
function toStagedRows(changes: readonly UserDeltaChange[], full: boolean): StagedRow[] {
  const rows = new Map<string, StagedRow>();
  for (const change of changes) {
    const earlier = rows.get(change.id);
    const row: StagedRow = change.removed
      ? { id: change.id, removed: true, manager_known: false, manager_id: null, display_name: null, user_principal_name: null, account_enabled: null, user_type: null, job_title: null, department: null, employee_hire_date: null }
      : {
          id: change.id,
          removed: false,
          manager_known: full || change.managerId !== undefined,
          manager_id: change.managerId ?? null,
          display_name: change.displayName,
          user_principal_name: change.userPrincipalName,
          account_enabled: change.accountEnabled,
          user_type: change.userType,
          job_title: change.jobTitle,
          department: change.department,
          employee_hire_date: change.employeeHireDate,
        };
    if (!row.removed && !row.manager_known && earlier?.manager_known === true) {
      row.manager_known = true;
      row.manager_id = earlier.manager_id;
    }
    rows.set(change.id, row);
  }
  return [...rows.values()];
}

async function stagePage(run: Run, rows: StagedRow[]): Promise<void> {
  await inTransaction(run.db, async (tx) => {
    await renewLease(tx, run);
    if (rows.length === 0) return;
    await tx.$executeRaw`
      INSERT INTO org_mirror_staging (id, removed, manager_known, manager_id, display_name, user_principal_name, account_enabled, user_type,
        job_title, department, employee_hire_date)
      SELECT id, removed, manager_known, manager_id, display_name, user_principal_name, account_enabled, user_type,
        job_title, department, employee_hire_date
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id text, removed boolean, manager_known boolean, manager_id text,
        display_name text, user_principal_name text, account_enabled boolean, user_type text,
        job_title text, department text, employee_hire_date text)
      ON CONFLICT (id) DO UPDATE SET
        removed = excluded.removed,
        manager_id = CASE WHEN excluded.manager_known OR excluded.removed THEN excluded.manager_id ELSE org_mirror_staging.manager_id END,
        manager_known = CASE WHEN excluded.removed THEN false ELSE excluded.manager_known OR org_mirror_staging.manager_known END,
        display_name = excluded.display_name,
        user_principal_name = excluded.user_principal_name,
        account_enabled = excluded.account_enabled,
        user_type = excluded.user_type,
        job_title = excluded.job_title,
        department = excluded.department,
        employee_hire_date = excluded.employee_hire_date`;
  });
}

/** Applies the staged round to the mirror, stores its deltaLink and releases the lease, in one transaction. */
async function applyRound(run: Run, full: boolean, deltaLink: string): Promise<number> {
  const now = run.clock();
  return inTransaction(run.db, async (tx) => {
    await renewLease(tx, run);
    if (full) {
      await tx.$executeRaw`DELETE FROM org_mirror_user u WHERE NOT EXISTS (SELECT 1 FROM org_mirror_staging s WHERE s.id = u.id AND NOT s.removed)`;
    } else {
      await tx.$executeRaw`DELETE FROM org_mirror_user u USING org_mirror_staging s WHERE s.id = u.id AND s.removed`;
    }
    await tx.$executeRaw`
      UPDATE org_mirror_user u SET
        manager_id = CASE WHEN s.manager_known THEN s.manager_id ELSE u.manager_id END,
        display_name = s.display_name, user_principal_name = s.user_principal_name,
        account_enabled = s.account_enabled, user_type = s.user_type,
        job_title = s.job_title, department = s.department, employee_hire_date = s.employee_hire_date, updated_at = ${now}
      FROM org_mirror_staging s WHERE s.id = u.id AND NOT s.removed`;
    await tx.$executeRaw`
      INSERT INTO org_mirror_user (id, manager_id, display_name, user_principal_name, account_enabled, user_type,
        job_title, department, employee_hire_date, updated_at)
      SELECT s.id, s.manager_id, s.display_name, s.user_principal_name, s.account_enabled, s.user_type,
        s.job_title, s.department, s.employee_hire_date, ${now}
      FROM org_mirror_staging s
      WHERE NOT s.removed AND NOT EXISTS (SELECT 1 FROM org_mirror_user u WHERE u.id = s.id)`;
    await tx.$executeRaw`DELETE FROM org_mirror_staging`;
    const users = await tx.orgMirrorUser.count();
    await tx.orgMirrorState.update({
      where: { id: STATE_ID },
      data: {
        deltaLink,
        status: 'ok',
        lastError: null,
        users,
        lastSyncedAt: now,
        ...(full ? { lastFullSyncAt: now } : {}),
        leaseOwner: null,
        leaseUntil: null,
      },
    });
    return users;
  });
}

/** Releases the lease of an interrupted run, if still held, and forgets its start (it synced nothing). */
async function releaseLease(run: Run): Promise<void> {
  await run.db.orgMirrorState.updateMany({ where: { id: STATE_ID, leaseOwner: run.owner }, data: { leaseOwner: null, leaseUntil: null, lastStartedAt: null } });
}

/** Records a failed run (the mirror itself is untouched) and releases the lease, if still held. */
async function recordFailure(run: Run, error: unknown): Promise<void> {
  // Graph's and the transport's messages name neither links nor tokens (lib/graph/client.ts).
  const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  const cause = error instanceof Error && error.cause !== undefined ? ` (${describe(error.cause)})` : '';
  const message = `${describe(error)}${cause}`.slice(0, 500);
  await run.db.orgMirrorState.updateMany({
    where: { id: STATE_ID, leaseOwner: run.owner },
    data: { status: 'failed', lastError: message, leaseOwner: null, leaseUntil: null },
  });
}

/** Reads one round into staging; returns the round's deltaLink and counts, restarting from scratch on a stale link. */
async function readRound(run: Run, storedLink: string | null, pageSize: number | undefined, signal: AbortSignal | undefined): Promise<{ full: boolean; deltaLink: string; pages: number; changes: number }> {
  let link = storedLink;
  let freshStarts = 0;
  let dropLink = false;
  for (;;) {
    const full = link === null;
    await startRound(run, dropLink);
    let pages = 0;
    let changes = 0;
    let resync = false;
    for await (const page of readUsersDelta(link, pageSize === undefined ? {} : { pageSize })) {
      if (signal?.aborted) throw new SyncInterruptedError();
      if (page.kind === 'resync') {
        resync = true;
        break;
      }
      pages += 1;
      changes += page.changes.length;
      await stagePage(run, toStagedRows(page.changes, full));
      if (page.deltaLink !== null) return { full, deltaLink: page.deltaLink, pages, changes };
    }
    if (!resync) throw new Error('the users delta round ended without a deltaLink');
    if (freshStarts >= MAX_FRESH_STARTS) throw new Error('Graph kept answering users delta with syncStateNotFound');
    freshStarts += full ? 1 : 0;
    link = null;
    dropLink = true;
  }
}

/**
 * Brings the org-chart mirror up to date with one users delta round (see the module comment):
 * from the stored deltaLink, or from scratch when there is none or Graph no longer knows it.
 * Returns `skipped` when another run holds the lease or started less than `minIntervalMs` ago,
 * `interrupted` when `signal` stopped it (lease released, mirror unchanged).
 * A failure is recorded on the state row (status `failed`, `last_error`), leaves the mirror
 * unchanged, and is rethrown.
 */
export async function syncOrgMirror(ctx: Pick<RequestContext, 'log'>, options: SyncOrgMirrorOptions = {}): Promise<SyncOrgMirrorResult> {
  const db = await resolveDb(options);
  const run: Run = { db, owner: randomUUID(), clock: () => options.now ?? new Date() };
  if (options.signal?.aborted) return { outcome: 'skipped' };
  const claimed = await claimLease(run, options.minIntervalMs ?? 0);
  if (claimed === undefined) return { outcome: 'skipped' };
  try {
    const round = await readRound(run, claimed.deltaLink, options.pageSize, options.signal);
    const users = await applyRound(run, round.full, round.deltaLink);
    ctx.log.info({ full: round.full, pages: round.pages, changes: round.changes, users }, 'org mirror synced');
    return { outcome: 'synced', full: round.full, pages: round.pages, changes: round.changes, users };
  } catch (error) {
    if (error instanceof SyncInterruptedError) {
      await releaseLease(run);
      ctx.log.info('org mirror sync stopped; lease released');
      return { outcome: 'interrupted' };
    }
    await recordFailure(run, error).catch((recordError: unknown) => ctx.log.error({ err: recordError }, 'could not record the org mirror failure'));
    throw error;
  }
}
