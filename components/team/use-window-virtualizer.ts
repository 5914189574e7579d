// Windowing for long lists that scroll with the page: only the rows near the viewport are rendered,
// each placed at its offset inside a spacer as tall as the whole list. Heights start as estimates
// and become measured ones as rows render (a row with reasons or a phone card is taller).
'use client';

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';

/** Extra pixels rendered above and below the viewport, so fast scrolling rarely shows blank space. */
const OVERSCAN_PX = 600;

export interface VirtualItem {
  index: number;
  start: number;
}

export interface WindowVirtualizer {
  containerRef: RefObject<HTMLDivElement | null>;
  totalHeight: number;
  items: VirtualItem[];
  /** Ref callback for a rendered row: its height replaces the estimate for `key`. */
  measure: (key: string) => (element: HTMLElement | null) => void;
  /** Scrolls the page just enough that row `index` is in view. */
  scrollToIndex: (index: number) => void;
}

/** The first index whose row ends after `y` (offsets are ascending; `offsets[count]` is the total). */
function findIndex(offsets: Float64Array, count: number, y: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid + 1]! <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows `keys` (one per row, stable across renders) with `estimate` px until measured. */
export function useWindowVirtualizer(keys: readonly string[], estimate: number): WindowVirtualizer {
  const containerRef = useRef<HTMLDivElement | null>(null);
  const [sizes, setSizes] = useState<ReadonlyMap<string, number>>(new Map());
  const [viewport, setViewport] = useState({ top: 0, height: 800 });

  const offsets = useMemo(() => {
    const result = new Float64Array(keys.length + 1);
    for (let i = 0; i < keys.length; i++) result[i + 1] = result[i]! + (sizes.get(keys[i]!) ?? estimate);
    return result;
  }, [keys, estimate, sizes]);

  // Where the viewport is, relative to the list's top; read on scroll and resize, batched per frame.
  useLayoutEffect(() => {
    let frame = 0;
    const read = () => {
      frame = 0;
      const container = containerRef.current;
      if (container === null) return;
      const top = -container.getBoundingClientRect().top;
      const height = window.innerHeight;
      setViewport((current) => (current.top === top && current.height === height ? current : { top, height }));
    };
    const schedule = () => {
      if (frame === 0) frame = requestAnimationFrame(read);
    };
    read();
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    return () => {
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
      if (frame !== 0) cancelAnimationFrame(frame);
    };
  }, []);

  const observer = useRef<ResizeObserver | null>(null);
  const observed = useRef(new Map<Element, string>());
  useEffect(() => {
    const elements = observed.current;
    observer.current = new ResizeObserver((entries) => {
      const measured: [string, number][] = [];
      for (const entry of entries) {
        const key = elements.get(entry.target);
        const height = Math.round(entry.borderBoxSize[0]?.blockSize ?? entry.contentRect.height);
        if (key !== undefined && height > 0) measured.push([key, height]);
      }
      // One new map per batch of changes, and none when nothing changed (no render loop).
      setSizes((current) => {
        const changed = measured.filter(([key, height]) => current.get(key) !== height);
        if (changed.length === 0) return current;
        const next = new Map(current);
        for (const [key, height] of changed) next.set(key, height);
        return next;
      });
    });
    for (const element of elements.keys()) observer.current.observe(element);
    return () => observer.current?.disconnect();
  }, []);

  const refCallbacks = useRef(new Map<string, (element: HTMLElement | null) => void>());
  const measure = useCallback((key: string) => {
    let callback = refCallbacks.current.get(key);
    if (callback === undefined) {
      let current: HTMLElement | null = null;
      callback = (element) => {
        if (current !== null) {
          observer.current?.unobserve(current);
          observed.current.delete(current);
        }
        current = element;
        if (element !== null) {
          observed.current.set(element, key);
          observer.current?.observe(element);
        }
      };
      refCallbacks.current.set(key, callback);
    }
    return callback;
  }, []);

  const count = keys.length;
  const items = useMemo(() => {
    if (count === 0) return [];
    const first = findIndex(offsets, count, Math.max(0, viewport.top - OVERSCAN_PX));
    const last = findIndex(offsets, count, viewport.top + viewport.height + OVERSCAN_PX);
    const result: VirtualItem[] = [];
    for (let i = first; i <= Math.min(last, count - 1); i++) result.push({ index: i, start: offsets[i]! });
    return result;
  }, [offsets, count, viewport]);

  const scrollToIndex = useCallback(
    (index: number) => {
      const container = containerRef.current;
      if (container === null || index < 0 || index >= count) return;
      const listTop = container.getBoundingClientRect().top + window.scrollY;
      const rowTop = listTop + offsets[index]!;
      const rowBottom = listTop + offsets[index + 1]!;
      // A little air above a row reached by moving up, so it does not sit on the window's edge.
      const margin = 16;
      if (rowTop - margin < window.scrollY) window.scrollTo({ top: rowTop - margin });
      else if (rowBottom > window.scrollY + window.innerHeight) window.scrollTo({ top: rowBottom - window.innerHeight });
    },
    [offsets, count],
  );

  return { containerRef, totalHeight: offsets[count] ?? 0, items, measure, scrollToIndex };
}
