// The audit trail's filters: as the auditor types them, and as the query string the API reads.

const PAGE_SIZE = 50;

/** The filters as typed (datetime-local values are the viewer's local time). */
export interface AuditFilters {
  from: string;
  to: string;
  type: string;
  actorId: string;
  targetId: string;
  requestId: string;
}

/** The ids a row's detail can filter the trail by, one at a time. */
export type AuditIdFilter = 'actorId' | 'targetId' | 'requestId';

export const NO_FILTERS: AuditFilters = { from: '', to: '', type: '', actorId: '', targetId: '', requestId: '' };

/** A datetime-local value as an ISO instant, or null when empty or unreadable. */
export function toIso(local: string): string | null {
  if (local === '') return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The API's query for one page of events under `filters`, from `cursor` on when there is one. */
export function toAuditQuery(filters: AuditFilters, cursor: string | null): string {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  setFilterParams(query, filters);
  if (cursor !== null) query.set('cursor', cursor);
  return query.toString();
}

/** The export's query: the same filters as the list, so the file holds what the screen shows. */
export function toAuditExportQuery(filters: AuditFilters, format: 'csv' | 'jsonl'): string {
  const query = new URLSearchParams({ format });
  setFilterParams(query, filters);
  return query.toString();
}

/**
 * The problem with the period, if any: "until" must come after "from" (the API refuses an empty
 * or inverted window, and so does the form, before asking).
 */
export function getPeriodError(filters: Pick<AuditFilters, 'from' | 'to'>): string | null {
  const from = toIso(filters.from);
  const to = toIso(filters.to);
  return from !== null && to !== null && to <= from ? '"Until" must be after "From".' : null;
}

/** Whether `filters` narrow the trail by more than the period (the export is then not one run of the chain). */
export function hasEventFilters(filters: AuditFilters): boolean {
  return [filters.type, filters.actorId, filters.targetId, filters.requestId].some((value) => value.trim() !== '');
}

function setFilterParams(query: URLSearchParams, filters: AuditFilters): void {
  const from = toIso(filters.from);
  const to = toIso(filters.to);
  if (from !== null) query.set('from', from);
  if (to !== null) query.set('to', to);
  if (filters.type !== '') query.set('type', filters.type);
  if (filters.actorId.trim() !== '') query.set('actorId', filters.actorId.trim());
  if (filters.targetId.trim() !== '') query.set('targetId', filters.targetId.trim());
  if (filters.requestId.trim() !== '') query.set('requestId', filters.requestId.trim());
}

export function activeFilterCount(filters: AuditFilters): number {
  return Object.values(filters).filter((value) => value.trim() !== '').length;
}
