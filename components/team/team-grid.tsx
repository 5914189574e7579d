// The team as a virtualised tree grid (or a flat grid): rows only near the viewport are in the DOM,
// and the keyboard moves, expands and collapses like a tree (WAI-ARIA treegrid pattern).
'use client';

import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { TeamRow } from '@/components/team/team-model';
import { useWindowVirtualizer } from '@/components/team/use-window-virtualizer';
import type { Reportee } from '@/lib/client/portal-types';

/** What a layout (table row or card) draws for one person. */
export interface TeamRowView {
  row: TeamRow;
  tree: boolean;
  managerName: string | null;
  onToggle: () => void;
}

export interface TeamGridProps {
  rows: TeamRow[];
  tree: boolean;
  /** The column headers, one per cell a row renders (announced by screen readers; may be visually hidden). */
  columns: ReactNode;
  renderCells: (view: TeamRowView) => ReactNode;
  /** Until measured, how tall a row is. */
  estimatedRowHeight: number;
  rowClassName: string;
  headerClassName: string;
  managerNameOf: (reportee: Reportee) => string | null;
  onToggle: (id: string, expand: boolean) => void;
  onRequest: (reportee: Reportee) => void;
}

const PAGE_STEP = 10;
/**
 * Up to this many rows all are rendered in the page's flow: a usual team is small, and find-in-page
 * and printing then see everyone. Above it only the rows near the viewport are in the DOM.
 */
export const RENDER_ALL_UP_TO = 200;

export function TeamGrid({ rows, tree, columns, renderCells, estimatedRowHeight, rowClassName, headerClassName, managerNameOf, onToggle, onRequest }: TeamGridProps) {
  const keys = useMemo(() => rows.map((row) => row.reportee.id), [rows]);
  const virtual = rows.length > RENDER_ALL_UP_TO;
  const windowed = useWindowVirtualizer(virtual ? keys : [], estimatedRowHeight);
  const { containerRef, measure } = windowed;
  const items = virtual ? windowed.items : rows.map((_, index) => ({ index, start: 0 }));
  const scrollToIndex = (index: number) => {
    if (virtual) windowed.scrollToIndex(index);
    else containerRef.current?.querySelector<HTMLElement>(`[data-row-index="${index}"]`)?.scrollIntoView({ block: 'nearest' });
  };
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const found = activeKey === null ? -1 : keys.indexOf(activeKey);
  const active = found >= 0 ? found : 0;
  const pendingFocus = useRef<string | null>(null);

  // After a keyboard move the target row may render only once the page has scrolled to it.
  useEffect(() => {
    const key = pendingFocus.current;
    if (key === null) return;
    const element = containerRef.current?.querySelector<HTMLElement>(`[data-user-id="${CSS.escape(key)}"]`);
    if (element) {
      element.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });

  const moveTo = (index: number) => {
    const target = rows[Math.max(0, Math.min(rows.length - 1, index))];
    if (target === undefined) return;
    setActiveKey(target.reportee.id);
    pendingFocus.current = target.reportee.id;
    scrollToIndex(keys.indexOf(target.reportee.id));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>, index: number) => {
    // Keys inside a row's button or link are theirs.
    if (event.target !== event.currentTarget) return;
    const row = rows[index]!;
    const handled = (() => {
      switch (event.key) {
        case 'ArrowDown':
          moveTo(index + 1);
          return true;
        case 'ArrowUp':
          moveTo(index - 1);
          return true;
        case 'PageDown':
          moveTo(index + PAGE_STEP);
          return true;
        case 'PageUp':
          moveTo(index - PAGE_STEP);
          return true;
        case 'Home':
          moveTo(0);
          return true;
        case 'End':
          moveTo(rows.length - 1);
          return true;
        case 'ArrowRight':
          if (!tree || row.childCount === 0) return false;
          if (row.expanded) moveTo(index + 1);
          else onToggle(row.reportee.id, true);
          return true;
        case 'ArrowLeft':
          if (!tree) return false;
          if (row.expanded) onToggle(row.reportee.id, false);
          else if (row.parentIndex !== null) moveTo(row.parentIndex);
          return true;
        case 'Enter':
          if (row.reportee.eligible) onRequest(row.reportee);
          return true;
        default:
          return false;
      }
    })();
    if (handled) event.preventDefault();
  };

  return (
    <>
      {/* Outside the grid: a grid may own only rows and row groups. */}
      <p id="team-grid-keys" className="sr-only">
        {tree
          ? 'Arrow keys move between people; right and left open and close a manager’s team; Enter requests a pass.'
          : 'Arrow keys move between people; Enter requests a pass.'}
      </p>
    <div
      role={tree ? 'treegrid' : 'grid'}
      aria-label="Your team"
      aria-rowcount={rows.length + 1}
      aria-describedby="team-grid-keys"
      data-testid="team-grid"
      data-view={tree ? 'tree' : 'flat'}
    >
      <div role="rowgroup">
        <div role="row" aria-rowindex={1} className={headerClassName}>
          {columns}
        </div>
      </div>
      <div role="rowgroup" ref={containerRef} className="relative" style={virtual ? { height: windowed.totalHeight } : undefined}>
        {items.map(({ index, start }) => {
          const row = rows[index]!;
          const id = row.reportee.id;
          return (
            <div
              key={id}
              ref={virtual ? measure(id) : undefined}
              role="row"
              tabIndex={index === active ? 0 : -1}
              aria-rowindex={index + 2}
              aria-level={tree ? row.level : undefined}
              aria-setsize={tree ? row.setSize : undefined}
              aria-posinset={tree ? row.posInSet : undefined}
              aria-expanded={tree && row.childCount > 0 ? row.expanded : undefined}
              // A manager shown only as the way to a match is not one of the matches.
              data-testid={row.matches ? 'reportee-row' : 'reportee-context-row'}
              data-user-id={id}
              data-row-index={index}
              data-depth={row.reportee.depth}
              data-context={row.matches ? undefined : 'true'}
              onKeyDown={(event) => onKeyDown(event, index)}
              onFocus={() => setActiveKey(id)}
              className={`${virtual ? 'absolute inset-x-0 top-0' : ''} outline-offset-[-2px] focus-visible:outline-2 focus-visible:outline-blue-700 ${rowClassName}`}
              style={virtual ? { transform: `translateY(${start}px)` } : undefined}
            >
              {renderCells({ row, tree, managerName: managerNameOf(row.reportee), onToggle: () => onToggle(id, !row.expanded) })}
            </div>
          );
        })}
      </div>
    </div>
    </>
  );
}
