import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ReporteeTable } from '@/components/reportee-table';
import { describeCurrentRequest } from '@/components/team/pass-state';
import { RENDER_ALL_UP_TO } from '@/components/team/team-grid';
import {
  countFacets,
  flatRows,
  indexTeam,
  managerIds,
  managerNameOf,
  matchesFilters,
  NO_FILTERS,
  passStateOf,
  treeRows,
} from '@/components/team/team-model';
import type { Reportee } from '@/lib/client/portal-types';

const CALLER = '00000000-0000-4000-8000-000000000000';
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function person(n: number, managerId: string, depth: number, extra: Partial<Reportee> = {}): Reportee {
  return {
    id: id(n),
    displayName: `Person ${n}`,
    userPrincipalName: `p${n}@contoso.test`,
    jobTitle: null,
    department: null,
    employeeHireDate: null,
    managerId,
    depth,
    eligible: true,
    ineligibleReasons: [],
    ...extra,
  };
}

// The caller ─┬─ 1 ─┬─ 3 ─── 5
//             │     └─ 4 (not eligible, pass live)
//             └─ 2 (request open)
const TEAM: Reportee[] = [
  person(1, CALLER, 1),
  person(2, CALLER, 1, { currentRequest: { requestId: 'b7f1c1a2-7d6a-4c1e-9d7a-0b6a1c2d3e4f', status: 'pending_approval', isUsableOnce: true, requestedByCaller: true } }),
  person(3, id(1), 2),
  person(4, id(1), 2, {
    eligible: false,
    ineligibleReasons: ['privileged-role'],
    currentRequest: { requestId: 'c7f1c1a2-7d6a-4c1e-9d7a-0b6a1c2d3e4f', status: 'issued', expiresDateTime: '2026-12-01T14:30:00Z', isUsableOnce: true, requestedByCaller: true },
  }),
  person(5, id(3), 3),
];
const all = new Set(TEAM.map((r) => r.id));

describe('the team as a tree', () => {
  it('nests each person under their manager, depth first, with level, set size and position', () => {
    const rows = treeRows(indexTeam(TEAM), all, new Set());
    expect(rows.map((r) => [r.reportee.displayName, r.level, r.posInSet, r.setSize, r.childCount])).toEqual([
      ['Person 1', 1, 1, 2, 2],
      ['Person 3', 2, 1, 2, 1],
      ['Person 5', 3, 1, 1, 0],
      ['Person 4', 2, 2, 2, 0],
      ['Person 2', 1, 2, 2, 0],
    ]);
    expect(rows[2]!.parentIndex).toBe(1);
  });

  it('hides the team of a collapsed manager, and collapse all leaves only the top level', () => {
    const index = indexTeam(TEAM);
    expect(treeRows(index, all, new Set([id(3)])).map((r) => r.reportee.id)).toEqual([id(1), id(3), id(4), id(2)]);
    expect(treeRows(index, all, managerIds(index)).map((r) => r.reportee.id)).toEqual([id(1), id(2)]);
  });

  it('keeps the managers above a match as context rows', () => {
    const rows = treeRows(indexTeam(TEAM), new Set([id(5)]), new Set());
    expect(rows.map((r) => [r.reportee.id, r.matches])).toEqual([
      [id(1), false],
      [id(3), false],
      [id(5), true],
    ]);
  });

  it('builds a chain thousands deep without overflowing the stack', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => person(i + 1, i === 0 ? CALLER : id(i), i + 1));
    const rows = treeRows(indexTeam(chain), new Set(chain.map((r) => r.id)), new Set());
    expect(rows).toHaveLength(20_000);
    expect(rows.at(-1)!.level).toBe(20_000);
  });
});

describe('filters and their counts', () => {
  it('reads the pass state from the current request', () => {
    expect(TEAM.map(passStateOf)).toEqual(['none', 'open', 'none', 'active', 'none']);
  });

  it('counts each facet under the other filters', () => {
    const filters = { ...NO_FILTERS, level: 2 };
    const counts = countFacets(TEAM, filters);
    expect([...counts.level]).toEqual([
      [1, 2],
      [2, 2],
      [3, 1],
    ]);
    expect(counts.eligibility).toEqual({ all: 2, eligible: 1, ineligible: 1 });
    expect(counts.pass).toEqual({ all: 2, active: 1, open: 0, none: 1 });
    expect(TEAM.filter((r) => matchesFilters(r, { ...filters, pass: 'active' })).map((r) => r.id)).toEqual([id(4)]);
  });

  it('names the manager a person reports to: the caller, or a loaded reportee', () => {
    const names = new Map(TEAM.map((r) => [r.id, r.displayName]));
    expect(managerNameOf(TEAM[0]!, CALLER, names)).toBe('You');
    expect(managerNameOf(TEAM[4]!, CALLER, names)).toBe('Person 3');
    expect(managerNameOf(person(9, id(99), 4), CALLER, names)).toBeNull();
  });
});

describe('a pass in words', () => {
  it('says until when a live pass works and whether it is one-time, and what an open request waits for', () => {
    const now = new Date('2026-12-01T09:00:00Z');
    const live = TEAM[3]!.currentRequest!;
    expect(describeCurrentRequest(live, now)).toMatch(/^Pass active until \d\d:\d\d( [AP]M)? · one-time$/);
    expect(describeCurrentRequest({ ...live, isUsableOnce: false }, now)).toMatch(/^Pass active until \d\d:\d\d( [AP]M)?$/);
    expect(describeCurrentRequest({ ...live, status: 'approved', expiresDateTime: undefined }, now)).toBe('Approved — ready to issue');
    expect(describeCurrentRequest({ ...live, status: 'issuing', requestedByCaller: false }, now)).toBe('Being issued · requested by another manager');
  });
});

describe('the virtualised team list', () => {
  const render = (people: Reportee[]) =>
    renderToStaticMarkup(
      createElement(ReporteeTable, {
        rows: flatRows(people),
        tree: false,
        eligibilityScope: 'full',
        managerNameOf: () => 'You',
        onToggle: () => {},
        onRequest: () => {},
      }),
    );

  it('renders a usual team whole', () => {
    const html = render(Array.from({ length: RENDER_ALL_UP_TO }, (_, i) => person(i + 1, CALLER, 1)));
    expect(html.match(/data-testid="reportee-row"/g)).toHaveLength(RENDER_ALL_UP_TO);
  });

  it('puts only a screenful of 5,000 people in the DOM, and declares the full row count', () => {
    const html = render(Array.from({ length: 5000 }, (_, i) => person(i + 1, CALLER, 1)));
    const rendered = html.match(/data-testid="reportee-row"/g)?.length ?? 0;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(60);
    expect(html).toContain('aria-rowcount="5001"');
    expect(html).toContain('Person 1<');
    expect(html).not.toContain('Person 5000<');
  });
});
