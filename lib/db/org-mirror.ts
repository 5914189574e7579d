import 'server-only';
import type { PrismaClient } from '@/lib/db/generated/client';

/**
 * Reads of the org-chart mirror (tables `org_mirror_*`, kept by lib/broker/sync-org-mirror.ts):
 * when it last completed a round, and a manager's team in one statement. Display only — the
 * broker's decisions read the chain from Graph.
 */

/** A user as the mirror holds them, with their depth below the team's root (0 = the root). */
export interface MirrorTeamMember {
  id: string;
  managerId: string | null;
  displayName: string | null;
  userPrincipalName: string;
  accountEnabled: boolean | null;
  userType: string | null;
  jobTitle: string | null;
  department: string | null;
  employeeHireDate: string | null;
  depth: number;
}

export interface MirrorTeam {
  /** The root as the mirror holds them; null when the mirror does not know the id. */
  root: MirrorTeamMember | null;
  /** How many people below the root (up to `maxDepth`) match the search. */
  total: number;
  /** The page of them asked for, by depth, then display name (case-insensitive), then id. */
  reportees: MirrorTeamMember[];
}

export interface MirrorTeamQuery {
  /** Deepest level (1 = direct reports); null: no limit. */
  maxDepth: number | null;
  /** Only people whose display name, UPN, job title or department contains this, case-insensitively. */
  search?: string | undefined;
  /** At most this many (default: all), after skipping `offset`. */
  limit?: number | undefined;
  offset?: number | undefined;
}

/** When the mirror last completed a round; null before its first. */
export async function getOrgMirrorSyncedAt(db: PrismaClient): Promise<Date | null> {
  const state = await db.orgMirrorState.findUnique({ where: { id: 1 }, select: { lastSyncedAt: true } });
  return state?.lastSyncedAt ?? null;
}

interface TeamRow {
  id: string;
  manager_id: string | null;
  display_name: string | null;
  user_principal_name: string;
  account_enabled: boolean | null;
  user_type: string | null;
  job_title: string | null;
  department: string | null;
  employee_hire_date: string | null;
  depth: number;
  total: number | null;
}

/**
 * `rootId`, the number of people below them (up to `maxDepth`) who match `search`, and a page of
 * those people — in one statement that descends level by level through the index on `manager_id`
 * (a first screen costs the descent, not the transfer of everyone). Manager data may hold a cycle
 * (docs/graph-behaviours.md#manager-chain); only a cycle through the root is reachable from it
 * (each user has one manager), and the root is never taken again, so the recursion ends.
 * Ids compare as stored: Graph's lower-case object ids.
 */
export async function getMirrorTeam(db: PrismaClient, rootId: string, query: MirrorTeamQuery): Promise<MirrorTeam> {
  const needle = query.search === undefined ? null : query.search.toLowerCase();
  const rows = await db.$queryRaw<TeamRow[]>`
    WITH RECURSIVE team AS (
      SELECT u.id, u.manager_id, u.display_name, u.user_principal_name, u.account_enabled, u.user_type, u.job_title, u.department, u.employee_hire_date, 0 AS depth
      FROM org_mirror_user u WHERE u.id = ${rootId}
      UNION ALL
      SELECT c.id, c.manager_id, c.display_name, c.user_principal_name, c.account_enabled, c.user_type, c.job_title, c.department, c.employee_hire_date, t.depth + 1
      FROM team t JOIN org_mirror_user c ON c.manager_id = t.id
      WHERE c.id <> ${rootId} AND (${query.maxDepth}::int IS NULL OR t.depth < ${query.maxDepth}::int)
    ),
    matching AS (
      SELECT * FROM team
      WHERE depth > 0 AND (${needle}::text IS NULL OR strpos(lower(concat_ws(' ', display_name, user_principal_name, job_title, department)), ${needle}::text) > 0)
    ),
    page AS (
      SELECT * FROM matching
      ORDER BY depth, lower(coalesce(display_name, user_principal_name)), id
      LIMIT ${query.limit ?? null}::int OFFSET ${query.offset ?? 0}::int
    )
    SELECT id, manager_id, display_name, user_principal_name, account_enabled, user_type, job_title, department, employee_hire_date, depth, '' AS sort_name, (SELECT count(*) FROM matching)::int AS total
    FROM team WHERE depth = 0
    UNION ALL
    SELECT id, manager_id, display_name, user_principal_name, account_enabled, user_type, job_title, department, employee_hire_date, depth, lower(coalesce(display_name, user_principal_name)), NULL::int FROM page
    -- The root (depth 0) first, then the page in its own order (a top-N sort when limited).
    ORDER BY depth, sort_name, id`;
  const members = rows.map(
    (r): MirrorTeamMember => ({
      id: r.id,
      managerId: r.manager_id,
      displayName: r.display_name,
      userPrincipalName: r.user_principal_name,
      accountEnabled: r.account_enabled,
      userType: r.user_type,
      jobTitle: r.job_title,
      department: r.department,
      employeeHireDate: r.employee_hire_date,
      depth: Number(r.depth),
    }),
  );
  const first = rows[0];
  if (first === undefined || Number(first.depth) !== 0) return { root: null, total: 0, reportees: [] };
  return { root: members[0] as MirrorTeamMember, total: Number(first.total), reportees: members.slice(1) };
}
