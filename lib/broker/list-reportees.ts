import 'server-only';
import type { Actor } from '@/lib/auth/actor';
import { getAccountIneligibleReasons, getReporteeIneligibleReasons, type EligibilityRules, type IneligibleReason } from '@/lib/broker/eligibility';
import { BrokerError } from '@/lib/core/errors';
import { findCurrentRequests } from '@/lib/broker/find-current-requests';
import { getCurrentPolicy } from '@/lib/broker/get-policy';
import type { BrokerPolicy } from '@/lib/broker/policy';
import { getDb } from '@/lib/db/client';
import type { PrismaClient } from '@/lib/db/generated/client';
import { getMirrorTeam, getOrgMirrorSyncedAt, type MirrorTeamMember } from '@/lib/db/org-mirror';
import { getEnv } from '@/lib/env';
import type { ListReporteesQuery, ReporteeCurrentRequest } from '@/lib/contract/reportees';
import { getReportees, type ReporteeTree } from '@/lib/graph/get-reportees';
import type { Logger } from '@/lib/log';

/**
 * A manager's reportees, each with the eligibility verdict the request form will apply
 * (`GET /api/reportees`, `listReportees`); the policy preview reuses the same walk.
 */

export interface ReporteeView {
  id: string;
  displayName: string;
  userPrincipalName: string;
  jobTitle: string | null;
  /** Beyond the contract's minimum: shown in the list. */
  department: string | null;
  /** Beyond the contract's minimum: lets new hires stand out. */
  employeeHireDate: string | null;
  /** Beyond the contract's minimum: the reportee's direct manager. */
  managerId: string;
  /** 1 = direct report. */
  depth: number;
  eligible: boolean;
  ineligibleReasons: IneligibleReason[];
  /** Beyond the contract's minimum: the person's open request or live pass, if any. */
  currentRequest?: ReporteeCurrentRequest;
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/**
 * The caller's reportee walk (lib/graph `getReportees`), refused with `forbidden` unless Graph
 * knows the caller as an enabled Member user (the token alone is not enough — it may outlive the
 * account's disabling by an hour). `protectedGroupIds` are the groups whose members the walk must
 * read: every list the caller will judge with.
 */
export async function getReporteeTreeOrThrow(
  actor: Actor,
  options: { maxDepth: number | null; protectedGroupIds: readonly string[]; log?: Logger },
): Promise<ReporteeTree> {
  const tree = await getReportees(actor.id, {
    maxDepth: options.maxDepth,
    protectedGroupIds: options.protectedGroupIds,
    ...(options.log ? { log: options.log } : {}),
  });
  if (tree.root === null || tree.root.accountEnabled !== true || tree.root.userType !== 'Member') {
    throw new BrokerError('forbidden', 'Only enabled member accounts can list reportees.');
  }
  return tree;
}

/** The walked people as the list shows them, each judged under `rules`; sorted by depth, then display name. */
export function toReporteeViews(tree: ReporteeTree, actor: Pick<Actor, 'id'>, rules: EligibilityRules): ReporteeView[] {
  const reportees = tree.reportees.map((user): ReporteeView => {
    const ineligibleReasons = getReporteeIneligibleReasons(tree, user, actor.id, rules);
    return {
      id: user.id,
      displayName: user.displayName ?? user.userPrincipalName ?? user.id,
      userPrincipalName: user.userPrincipalName ?? '',
      jobTitle: user.jobTitle,
      department: user.department,
      employeeHireDate: user.employeeHireDate,
      managerId: user.managerId,
      depth: user.depth,
      eligible: ineligibleReasons.length === 0,
      ineligibleReasons,
    };
  });
  reportees.sort((a, b) => a.depth - b.depth || collator.compare(a.displayName, b.displayName) || a.id.localeCompare(b.id));
  return reportees;
}

/**
 * How many sync intervals old the mirror may be and still be read: two missed runs are tolerated
 * (another instance's turn, a slow round) before the list falls back to Graph.
 */
export const ORG_MIRROR_MAX_AGE_SYNCS = 3;

/**
 * When the mirror last completed a round, if it is usable at `now`: the sync is on
 * (ORG_MIRROR_SYNC_SECONDS > 0) and its last completed round is no older than
 * {@link ORG_MIRROR_MAX_AGE_SYNCS} intervals. A failing sync keeps the last round usable until it
 * is that old. Null: read Graph instead.
 */
export async function getUsableMirrorSyncedAt(db: PrismaClient, now: Date): Promise<Date | null> {
  const maxAgeMs = ORG_MIRROR_MAX_AGE_SYNCS * getEnv().orgMirrorSyncSeconds * 1000;
  if (maxAgeMs === 0) return null;
  const syncedAt = await getOrgMirrorSyncedAt(db);
  return syncedAt !== null && now.getTime() - syncedAt.getTime() <= maxAgeMs ? syncedAt : null;
}

function toMirrorView(user: MirrorTeamMember): ReporteeView {
  const ineligibleReasons = getAccountIneligibleReasons(user);
  return {
    id: user.id,
    displayName: user.displayName ?? user.userPrincipalName,
    userPrincipalName: user.userPrincipalName,
    jobTitle: user.jobTitle,
    department: user.department,
    employeeHireDate: user.employeeHireDate,
    // Every reportee hangs off someone in the team, so the recursion gave them a manager.
    managerId: user.managerId ?? '',
    depth: user.depth,
    eligible: ineligibleReasons.length === 0,
    ineligibleReasons,
  };
}

/**
 * The caller's team from the org-chart mirror, or null when the mirror is not usable or does not
 * know the caller (a new account since the last round: Graph decides). One statement for the
 * team; the caller must be an enabled Member in the mirror, as the live path requires in Graph.
 */
async function listMirrorReportees(
  actor: Actor,
  policy: BrokerPolicy,
  query: ListReporteesQuery,
  options: { db: PrismaClient; now: Date },
): Promise<ReporteeList | null> {
  const syncedAt = await getUsableMirrorSyncedAt(options.db, options.now);
  if (syncedAt === null) return null;
  const team = await getMirrorTeam(options.db, actor.id.toLowerCase(), { maxDepth: policy.maxDepth, search: query.q, limit: query.limit, offset: query.offset });
  if (team.root === null) return null;
  if (team.root.accountEnabled !== true || team.root.userType !== 'Member') {
    throw new BrokerError('forbidden', 'Only enabled member accounts can list reportees.');
  }
  const reportees = await withCurrentRequests(options.db, actor, team.reportees.map(toMirrorView), options.now);
  return { reportees, total: team.total, source: 'mirror', asOf: syncedAt.toISOString(), eligibilityScope: 'account' };
}

/** The page's people, each with their open request or live pass (one query for the page). */
async function withCurrentRequests(db: PrismaClient, actor: Actor, reportees: ReporteeView[], now: Date): Promise<ReporteeView[]> {
  const current = await findCurrentRequests(db, actor, reportees.map((person) => person.id), now);
  return reportees.map((person) => {
    const request = current.get(person.id.toLowerCase());
    return request === undefined ? person : { ...person, currentRequest: request };
  });
}

/** Whether the search `q` (lower case) is in the person's name, UPN, title or department. */
function matchesSearch(person: ReporteeView, q: string): boolean {
  return [person.displayName, person.userPrincipalName, person.jobTitle, person.department].some((field) => field !== null && field.toLowerCase().includes(q));
}

/** The live walk's list narrowed and paged as the query asks (the mirror does it in SQL). */
function pageViews(views: ReporteeView[], query: ListReporteesQuery): { reportees: ReporteeView[]; total: number } {
  const q = query.q?.toLowerCase();
  const matching = q === undefined ? views : views.filter((person) => matchesSearch(person, q));
  const offset = query.offset ?? 0;
  return { reportees: matching.slice(offset, query.limit === undefined ? undefined : offset + query.limit), total: matching.length };
}

/** The list as `GET /api/reportees` answers it (lib/contract/reportees.ts). */
// A type alias, not an interface: route results must be assignable to Record<string, unknown>.
export type ReporteeList = {
  reportees: ReporteeView[];
  /** How many match the query's search, before its `limit` and `offset`. */
  total: number;
  /** `mirror`: the org-chart mirror, no Graph call; `graph`: the live walk. */
  source: 'mirror' | 'graph';
  /** When the list was true in Graph (ISO 8601). */
  asOf: string;
  /** `account`: only the account's own state was judged (the mirror holds no roles or groups). */
  eligibilityScope: 'full' | 'account';
};

/**
 * Everyone below the caller in the org chart, up to the policy's `maxDepth`, each with the
 * eligibility verdict the request form will apply.
 *
 * From the org-chart mirror when it is usable ({@link getUsableMirrorSyncedAt}):
 * no Graph call, account-level eligibility only. Otherwise (mirror off, not synced yet, stale, or
 * not knowing the caller) read live from Graph under the broker's identity, with full eligibility.
 * Either way the list is for display: creating, approving and issuing re-read the chain and
 * eligibility from Graph.
 *
 * Only an enabled Member user may act as a manager: a guest, a disabled account or an identity
 * the source does not know gets `forbidden`.
 *
 * Eligibility on the live path is the rule the request path applies (docs/eligibility.md), judged
 * from tenant-wide reads that ride in the walk's own rounds, never per person; a read Graph
 * refused makes every reportee it concerns `cannot-verify`.
 *
 * `query` narrows (`q`) and pages (`limit`, `offset`) the list; `total` counts what matched.
 * Each listed person carries `currentRequest` (their open request or live pass, one database query
 * for the page) whenever a database is in use. `useMirror: false` always reads Graph (callers with
 * no database: given a `policy` and no `db`, nothing is read from a database and no person carries
 * `currentRequest`).
 */
export async function listReportees(
  actor: Actor,
  options: { log?: Logger; policy?: BrokerPolicy; db?: PrismaClient; useMirror?: boolean; now?: Date; query?: ListReporteesQuery } = {},
): Promise<ReporteeList> {
  const query = options.query ?? {};
  let db = options.db;
  const openDbOnce = async () => (db ??= await getDb());
  // The stored policy's maxDepth bounds the list, as it bounds requests.
  const policy = options.policy ?? (await getCurrentPolicy(await openDbOnce()));
  if (options.useMirror !== false) {
    const fromMirror = await listMirrorReportees(actor, policy, query, { db: await openDbOnce(), now: options.now ?? new Date() });
    if (fromMirror !== null) return fromMirror;
  }
  const tree = await getReporteeTreeOrThrow(actor, {
    maxDepth: policy.maxDepth,
    protectedGroupIds: policy.protectedGroupIds,
    ...(options.log ? { log: options.log } : {}),
  });
  const now = options.now ?? new Date();
  const page = pageViews(toReporteeViews(tree, actor, policy), query);
  const reportees = db === undefined ? page.reportees : await withCurrentRequests(db, actor, page.reportees, now);
  return { reportees, total: page.total, source: 'graph', asOf: now.toISOString(), eligibilityScope: 'full' };
}
