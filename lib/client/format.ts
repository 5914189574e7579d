import { ApiError } from '@/lib/client/api-fetch';

/** "Direct", "2nd level", "3rd level", "11th level"… */
export function formatDepth(depth: number): string {
  if (depth <= 1) return 'Direct';
  const lastTwo = depth % 100;
  const last = depth % 10;
  const suffix = lastTwo >= 11 && lastTwo <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
  return `${depth}${suffix} level`;
}

const REASON_LABELS: Record<string, string> = {
  'account-disabled': 'Account disabled',
  guest: 'Guest account',
  'privileged-role': 'Holds a privileged role',
  self: 'This is you',
  'outside-tap-policy': 'Outside the tenant TAP policy',
  'tap-policy-disabled': 'TAP disabled in the tenant',
  'not-in-reporting-chain': 'Not in your reporting line',
  'beyond-max-depth': 'Beyond the allowed depth',
};

/** A person-readable label for an ineligibility reason code; unknown codes are shown de-kebabed. */
export function formatReason(code: string): string {
  const known = REASON_LABELS[code];
  if (known !== undefined) return known;
  const words = code.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `TapBroker.Approver` → `Approver`. */
export function formatRole(role: string): string {
  return role.startsWith('TapBroker.') ? role.slice('TapBroker.'.length) : role;
}

/** A future hire date as "12 Mar 2026", or null when absent, invalid or past. */
export function formatUpcomingStart(isoDate: string | null, now: Date = new Date()): string | null {
  if (isoDate === null) return null;
  const date = new Date(isoDate);
  if (Number.isNaN(date.getTime()) || date.getTime() <= now.getTime()) return null;
  return new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' }).format(date);
}

/** Title and detail to show for any failure: the API's own words when it sent problem+json. */
export function describeError(error: unknown): { title: string; detail: string | null } {
  if (error instanceof ApiError) return { title: error.title, detail: error.detail };
  if (error instanceof Error) return { title: 'Something went wrong', detail: error.message };
  return { title: 'Something went wrong', detail: null };
}
