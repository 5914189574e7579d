import { ApiError } from '@/lib/client/api-fetch';
import { describeReason } from '@/lib/client/ineligibility-reasons';
import { StepUpNotCompletedError } from '@/lib/client/pending-step-up';
import type { TapRequestStatus } from '@/lib/client/portal-types';

/** "Direct", "2nd level", "3rd level", "11th level"… */
export function formatDepth(depth: number): string {
  if (depth <= 1) return 'Direct';
  const lastTwo = depth % 100;
  const last = depth % 10;
  const suffix = lastTwo >= 11 && lastTwo <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
  return `${depth}${suffix} level`;
}

/** A person-readable label for an ineligibility reason code; unknown codes are shown de-kebabed. */
export function formatReason(code: string): string {
  return describeReason(code).label;
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

/** "45 minutes", "1 hour", "1 h 30 min", "8 hours", "2 days". */
export function formatLifetime(minutes: number): string {
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** "27 Nov 2026, 09:15" in the viewer's time zone; the raw value when it does not parse. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimeFormat.format(date);
}

/** "just now", "12 minutes", "3 hours", "2 days": how long since `iso`. */
export function formatElapsed(iso: string, now: Date = new Date()): string {
  const ms = now.getTime() - new Date(iso).getTime();
  if (!Number.isFinite(ms) || ms < 60_000) return 'just now';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  const days = Math.floor(hours / 24);
  return `${days} days`;
}

const STATUS_LABELS: Record<TapRequestStatus, string> = {
  pending_approval: 'Waiting for approval',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
  issuing: 'Being issued',
  issued: 'Issued',
  revoked: 'Revoked',
  failed: 'Failed',
  withdrawn: 'Withdrawn',
};

export function formatStatus(status: TapRequestStatus): string {
  return STATUS_LABELS[status];
}

/** An ISO instant as the value of an `<input type="datetime-local">` (local time, minutes). */
export function toDateTimeLocalValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Title and detail to show for any failure: the API's own words when it sent problem+json. */
export function describeError(error: unknown): { title: string; detail: string | null } {
  if (error instanceof ApiError) return { title: error.title, detail: error.detail };
  if (error instanceof StepUpNotCompletedError) return { title: error.message, detail: error.hint };
  if (error instanceof Error) return { title: 'Something went wrong', detail: error.message };
  return { title: 'Something went wrong', detail: null };
}
