'use client';

import { useEffect, useState } from 'react';

/** The current time in ms, refreshed every `intervalMs`: for "expired" and "waiting 3 hours" labels. */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}
