/**
 * The audit and dashboard answers of the portal API (docs/api-contract.md#routes: `GET /api/audit`,
 * `GET /api/audit/verify`, `GET /api/dashboard`) as the browser uses them, checked before they
 * are rendered against the contract's schemas, like portal-types.ts.
 */

import {
  AUDIT_EVENT_LABELS,
  auditPageSchema,
  auditVerificationSchema,
  type AuditEvent,
  type AuditEventType,
} from '@/lib/contract/audit';
import { dashboardStatsSchema } from '@/lib/contract/dashboard';
import { parseAnswer } from '@/lib/client/parse-answer';
import type * as z from 'zod/mini';

export type { AuditEvent };
export type AuditPage = z.infer<typeof auditPageSchema>;
export type AuditVerification = z.infer<typeof auditVerificationSchema>;
export type DashboardStats = z.infer<typeof dashboardStatsSchema>;

export function parseAuditPage(value: unknown): AuditPage {
  return parseAnswer(auditPageSchema, value, 'audit page');
}

export function parseAuditVerification(value: unknown): AuditVerification {
  return parseAnswer(auditVerificationSchema, value, 'verification');
}

export function parseDashboardStats(value: unknown): DashboardStats {
  return parseAnswer(dashboardStatsSchema, value, 'dashboard');
}

/** The event types the broker writes, with their labels, for the type filter. */
export const AUDIT_EVENT_TYPE_OPTIONS: readonly { value: AuditEventType; label: string }[] = (
  Object.entries(AUDIT_EVENT_LABELS) as [AuditEventType, string][]
).map(([value, label]) => ({ value, label }));

/** "Pass issued" for a known type, the raw type otherwise. */
export function formatAuditType(type: string): string {
  return Object.hasOwn(AUDIT_EVENT_LABELS, type) ? AUDIT_EVENT_LABELS[type as AuditEventType] : type;
}

/** "42 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}
