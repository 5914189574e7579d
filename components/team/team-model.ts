// The team view's pure model: who reports to whom among the loaded reportees, the filters and
// their counts, and the rows a tree or a flat list shows. No React, so it is tested directly.
import type { Reportee } from '@/lib/client/portal-types';

/** A person's pass as the team view filters on it. */
export type PassState = 'active' | 'open' | 'none';
export type EligibilityFilter = 'all' | 'eligible' | 'ineligible';

/** Each filter narrows; `null` / `'all'` leaves that facet open. */
export interface TeamFilters {
  level: number | null;
  eligibility: EligibilityFilter;
  pass: PassState | 'all';
}

export const NO_FILTERS: TeamFilters = { level: null, eligibility: 'all', pass: 'all' };

export function hasFilters(filters: TeamFilters): boolean {
  return filters.level !== null || filters.eligibility !== 'all' || filters.pass !== 'all';
}

/** `issued` is a live pass (the server lists it only until it ends); anything else open is a request on its way. */
export function passStateOf(reportee: Reportee): PassState {
  const current = reportee.currentRequest;
  if (current === undefined) return 'none';
  return current.status === 'issued' ? 'active' : 'open';
}

function matchesLevel(reportee: Reportee, level: number | null): boolean {
  return level === null || reportee.depth === level;
}

function matchesEligibility(reportee: Reportee, eligibility: EligibilityFilter): boolean {
  return eligibility === 'all' || reportee.eligible === (eligibility === 'eligible');
}

function matchesPass(reportee: Reportee, pass: PassState | 'all'): boolean {
  return pass === 'all' || passStateOf(reportee) === pass;
}

export function matchesFilters(reportee: Reportee, filters: TeamFilters): boolean {
  return matchesLevel(reportee, filters.level) && matchesEligibility(reportee, filters.eligibility) && matchesPass(reportee, filters.pass);
}

/** How many people each value of each facet would leave, given the other two facets as chosen. */
export interface FacetCounts {
  level: Map<number, number>;
  eligibility: Record<EligibilityFilter, number>;
  pass: Record<PassState | 'all', number>;
  /** Every level present in the searched set, shallowest first (so a chosen level stays listed). */
  levels: number[];
}

/** Counts per filter value over `reportees` (already narrowed by search), each facet counted under the others. */
export function countFacets(reportees: readonly Reportee[], filters: TeamFilters): FacetCounts {
  const counts: FacetCounts = {
    level: new Map(),
    eligibility: { all: 0, eligible: 0, ineligible: 0 },
    pass: { all: 0, active: 0, open: 0, none: 0 },
    levels: [],
  };
  const levels = new Set<number>();
  for (const r of reportees) {
    levels.add(r.depth);
    const level = matchesLevel(r, filters.level);
    const eligibility = matchesEligibility(r, filters.eligibility);
    const pass = matchesPass(r, filters.pass);
    if (eligibility && pass) counts.level.set(r.depth, (counts.level.get(r.depth) ?? 0) + 1);
    if (level && pass) {
      counts.eligibility.all++;
      counts.eligibility[r.eligible ? 'eligible' : 'ineligible']++;
    }
    if (level && eligibility) {
      counts.pass.all++;
      counts.pass[passStateOf(r)]++;
    }
  }
  counts.levels = [...levels].sort((a, b) => a - b);
  return counts;
}

/** The loaded reportees by id and by manager; children keep the API's order (by depth, then name). */
export interface TeamIndex {
  byId: Map<string, Reportee>;
  children: Map<string, Reportee[]>;
  /** People whose manager is not among the loaded reportees: the caller's direct reports, or the top of a partial page. */
  roots: Reportee[];
}

export function indexTeam(reportees: readonly Reportee[]): TeamIndex {
  const byId = new Map(reportees.map((r) => [r.id, r]));
  const children = new Map<string, Reportee[]>();
  const roots: Reportee[] = [];
  for (const r of reportees) {
    if (!byId.has(r.managerId)) {
      roots.push(r);
      continue;
    }
    const siblings = children.get(r.managerId);
    if (siblings === undefined) children.set(r.managerId, [r]);
    else siblings.push(r);
  }
  return { byId, children, roots };
}

/**
 * Who a person reports to, by name: "You" for the caller, the manager's name when the manager is
 * loaded (or was seen in an earlier answer), else null.
 */
export function managerNameOf(reportee: Reportee, callerId: string | null, names: ReadonlyMap<string, string>): string | null {
  if (callerId !== null && reportee.managerId === callerId) return 'You';
  return names.get(reportee.managerId) ?? null;
}

/** One line of the list. In a flat list every row is level 1 and has no children. */
export interface TeamRow {
  reportee: Reportee;
  level: number;
  setSize: number;
  posInSet: number;
  /** How many of this person's reports the tree shows (0 for a leaf and in the flat list). */
  childCount: number;
  expanded: boolean;
  /** False for a manager shown only because someone below them matches the search or filters. */
  matches: boolean;
  /** Row index of the parent row in the tree, null at the top. */
  parentIndex: number | null;
}

/** The flat list: matching people in the API's order. */
export function flatRows(matching: readonly Reportee[]): TeamRow[] {
  return matching.map((reportee, i) => ({
    reportee,
    level: 1,
    setSize: matching.length,
    posInSet: i + 1,
    childCount: 0,
    expanded: false,
    matches: true,
    parentIndex: null,
  }));
}

/**
 * The tree as rows, depth first, skipping what lies under a collapsed manager. Shown are the
 * matching people and, for context, every loaded manager above one of them.
 */
export function treeRows(index: TeamIndex, matching: ReadonlySet<string>, collapsed: ReadonlySet<string>): TeamRow[] {
  const shown = new Set<string>();
  for (const id of matching) {
    let current = index.byId.get(id);
    while (current !== undefined && !shown.has(current.id)) {
      shown.add(current.id);
      current = index.byId.get(current.managerId);
    }
  }
  const rows: TeamRow[] = [];
  const keptChildren = (id: string) => (index.children.get(id) ?? []).filter((c) => shown.has(c.id));
  // An explicit stack, not recursion: a deep chain of thousands must not overflow the call stack.
  const stack: { people: Reportee[]; next: number; level: number; parentIndex: number | null }[] = [
    { people: index.roots.filter((r) => shown.has(r.id)), next: 0, level: 1, parentIndex: null },
  ];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.people.length) {
      stack.pop();
      continue;
    }
    const reportee = frame.people[frame.next++]!;
    const kids = keptChildren(reportee.id);
    const expanded = kids.length > 0 && !collapsed.has(reportee.id);
    rows.push({
      reportee,
      level: frame.level,
      setSize: frame.people.length,
      posInSet: frame.next,
      childCount: kids.length,
      expanded,
      matches: matching.has(reportee.id),
      parentIndex: frame.parentIndex,
    });
    if (expanded) stack.push({ people: kids, next: 0, level: frame.level + 1, parentIndex: rows.length - 1 });
  }
  return rows;
}

/** Everyone with reports among the loaded set: what "Collapse all" collapses. */
export function managerIds(index: TeamIndex): Set<string> {
  return new Set(index.children.keys());
}
