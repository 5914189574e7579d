/**
 * The small subset of OData that the Graph half understands: `$select`, `$top`, `$skiptoken`,
 * `$filter` (eq / in, joined by `and`), `$expand=manager(...)`, `$count`, OData cast segments —
 * and Graph's rules for "advanced queries" (`ConsistencyLevel: eventual`), which the local tenant
 * enforces as strictly as Graph documents them so that a client forgetting the header fails here.
 */
import { GraphHttpError, badRequest, graphRoot, hasConsistencyEventual, type GraphEnv } from './http';

/** Directory collections: "default and maximum page sizes are 100 and 999". */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 999;
/** A directory collection page with `$expand` holds at most 100 items. */
export const MAX_EXPAND_PAGE_SIZE = 100;
/** An expanded collection (`$expand=members`) carries at most 20 items and never a nextLink. */
export const EXPANDED_COLLECTION_LIMIT = 20;

/**
 * The directoryObject types a path segment may be cast to. Only these are casts; other
 * `microsoft.graph.*` segments (actions such as `microsoft.graph.sendMail`) are not.
 */
const CAST_TYPES = ['user', 'group', 'directoryRole', 'administrativeUnit', 'servicePrincipal', 'application', 'device', 'orgContact'] as const;

/**
 * Recognises an OData cast segment in either spelling Graph accepts: the namespace
 * (`microsoft.graph.directoryRole`) or the schema alias (`graph.directoryRole`, what Kiota SDKs
 * send), case-insensitively. Returns the canonical lower-case qualified name
 * (`microsoft.graph.directoryrole`), or null when the segment is no cast to a directoryObject type.
 */
export function parseCastSegment(segment: string | undefined): string | null {
  if (segment === undefined) return null;
  const m = /^(?:microsoft\.)?graph\.([A-Za-z]+)$/i.exec(segment.trim());
  if (m === null) return null;
  const type = CAST_TYPES.find((t) => t.toLowerCase() === (m[1] ?? '').toLowerCase());
  return type === undefined ? null : `microsoft.graph.${type.toLowerCase()}`;
}

/** True when any path segment of the request is an OData cast. */
export function hasCastSegment(env: GraphEnv): boolean {
  return env.req.segments.some((s) => parseCastSegment(s) !== null);
}

function isCountRequested(env: GraphEnv): boolean {
  return env.req.query.get('$count')?.trim().toLowerCase() === 'true';
}

/**
 * Graph's refusal of a query that needs advanced query parameters. The wording follows the
 * message Graph gives for other advanced-only operators.
 */
export function advancedQueryRequired(feature: string, needsCount: boolean): GraphHttpError {
  const missing = needsCount ? '$count=true query parameter and ConsistencyLevel:eventual header' : 'ConsistencyLevel:eventual header';
  return badRequest(
    `${feature} is not supported because the required parameters might be missing. Try adding ${missing}. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
    'Request_UnsupportedQuery',
  );
}

/**
 * A `/$count` path segment is an advanced query; without `ConsistencyLevel: eventual` Graph
 * answers this exact error.
 */
export function requireCountSegmentConsistency(env: GraphEnv): void {
  if (!hasConsistencyEventual(env.req)) throw badRequest('$count is not currently supported.', 'Request_BadRequest');
}

/**
 * Enforces the advanced-query rules on a directory collection request: `$count=true` needs
 * `ConsistencyLevel: eventual`; an OData cast needs the header and `$count=true` (a continuation
 * page carries the latter in its skiptoken); a nextLink page of an advanced query needs the header
 * again, because clients do not carry it over by themselves.
 * Returns whether the request is an advanced query (its nextLinks are marked so).
 */
export function checkAdvancedQuery(env: GraphEnv, continuesAdvanced: boolean): boolean {
  const eventual = hasConsistencyEventual(env.req);
  const cast = hasCastSegment(env);
  const count = isCountRequested(env);
  if (continuesAdvanced && !eventual) throw advancedQueryRequired('Paging an advanced query', false);
  if (cast && !(eventual && (count || continuesAdvanced))) throw advancedQueryRequired('OData cast', true);
  if (count && !eventual) throw advancedQueryRequired('$count', false);
  return continuesAdvanced || cast || count;
}

/** At most {@link EXPANDED_COLLECTION_LIMIT} items of an expanded collection; the rest is not reachable. */
export function capExpandedCollection<T>(items: readonly T[]): T[] {
  return items.slice(0, EXPANDED_COLLECTION_LIMIT);
}

/** Splits a raw query string. `+` means space, as in form encoding (Graph accepts both). */
export function parseQueryString(qs: string): Map<string, string> {
  const out = new Map<string, string>();
  if (qs === '') return out;
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    out.set(safeDecode(rawKey).toLowerCase(), safeDecode(rawValue));
  }
  return out;
}

function safeDecode(s: string): string {
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Splits on `sep` at parenthesis depth 0, ignoring separators inside quotes. */
export function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") inQuote = !inQuote;
    else if (!inQuote && c === '(') depth++;
    else if (!inQuote && c === ')') depth--;
    else if (!inQuote && depth === 0 && c === sep) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Resolves `$select` names case-insensitively to their canonical spelling. Returns null when
 * there is no `$select`. Unknown names fail the way Graph fails them.
 */
export function parseSelect(value: string | undefined, known: readonly string[], typeName: string): string[] | null {
  if (value === undefined) return null;
  const names = splitTopLevel(value, ',');
  if (names.length === 0) return null;
  const out: string[] = [];
  for (const n of names) {
    if (n === '*') return [...known];
    const canonical = known.find((k) => k.toLowerCase() === n.toLowerCase());
    if (canonical === undefined) {
      throw badRequest(`Could not find a property named '${n}' on type '${typeName}'.`, 'BadRequest');
    }
    if (!out.includes(canonical)) out.push(canonical);
  }
  return out;
}

export function parseTop(value: string | undefined, defaultTop = DEFAULT_PAGE_SIZE, max = MAX_PAGE_SIZE): number {
  if (value === undefined) return defaultTop;
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw badRequest(`Invalid page size specified: '${value}'. Must be between 1 and ${max} inclusive.`);
  }
  return n;
}

const SKIPTOKEN_PREFIX = 'RFNwdAIA'; // cosmetic: Graph's directory skip tokens are opaque base64

interface SkipToken {
  offset: number;
  /** The page continues an advanced query: fetching it needs `ConsistencyLevel: eventual` again. */
  advanced: boolean;
}

function encodeSkipToken(token: SkipToken): string {
  const payload = token.advanced ? { o: token.offset, a: 1 } : { o: token.offset };
  return SKIPTOKEN_PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function decodeSkipToken(token: string): SkipToken {
  if (!token.startsWith(SKIPTOKEN_PREFIX)) throw badRequest('Invalid skip token.', 'Request_BadRequest');
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token.slice(SKIPTOKEN_PREFIX.length), 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed) {
      const { o, a } = parsed as { o: unknown; a?: unknown };
      if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return { offset: o, advanced: a === 1 };
    }
  } catch {
    // fall through
  }
  throw badRequest('Invalid skip token.', 'Request_BadRequest');
}

/**
 * One page of a directory collection plus the absolute `@odata.nextLink` (https, this tenant's
 * host) that carries the same options and a `$skiptoken`. Applies the advanced-query rules
 * ({@link checkAdvancedQuery}) and caps `$top` at 100 when `$expand` is present. `$count` is left
 * off the nextLink (`@odata.count` belongs to the first page only); the skiptoken of an advanced
 * query is marked, so that its next page is refused without `ConsistencyLevel: eventual`.
 */
export function pageOf<T>(env: GraphEnv, items: readonly T[], defaultTop = DEFAULT_PAGE_SIZE): { page: T[]; nextLink: string | null } {
  const token = env.req.query.get('$skiptoken');
  const from = token === undefined ? { offset: 0, advanced: false } : decodeSkipToken(token);
  const advanced = checkAdvancedQuery(env, from.advanced);
  const max = env.req.query.has('$expand') ? MAX_EXPAND_PAGE_SIZE : MAX_PAGE_SIZE;
  const top = parseTop(env.req.query.get('$top'), Math.min(defaultTop, max), max);
  const offset = from.offset;
  const page = items.slice(offset, offset + top);
  const next = offset + top;
  if (next >= items.length) return { page, nextLink: null };
  const params: string[] = [];
  for (const [k, v] of env.req.query) {
    if (k === '$skiptoken' || k === '$count') continue;
    params.push(`${k}=${encodeQueryValue(v)}`);
  }
  params.push(`$skiptoken=${encodeSkipToken({ offset: next, advanced })}`);
  const path = env.req.segments.map((s) => encodeURIComponent(s)).join('/');
  return { page, nextLink: `${graphRoot(env.ctx, env.req.version)}/${path}?${params.join('&')}` };
}

/** Percent-encodes a query value but keeps OData punctuation readable, as Graph's own links do. */
function encodeQueryValue(v: string): string {
  return encodeURIComponent(v).replace(/%2C/gi, ',').replace(/%24/g, '$').replace(/%28/g, '(').replace(/%29/g, ')').replace(/%3B/gi, ';').replace(/%3D/gi, '=');
}

export interface ManagerExpand {
  /** null: one level (plain `$expand=manager`); 'max' or 1–1000. */
  levels: number | 'max' | null;
  select: string[] | null;
}

/** Parses `$expand=manager`, `manager($select=…)`, `manager($levels=max;$select=…)`. */
export function parseManagerExpand(value: string | undefined, knownUserProps: readonly string[]): ManagerExpand | null {
  if (value === undefined) return null;
  const items = splitTopLevel(value, ',');
  let result: ManagerExpand | null = null;
  for (const item of items) {
    const m = /^([A-Za-z]+)\s*(?:\((.*)\))?$/s.exec(item);
    if (m === null) throw badRequest(`Term '${item}' is not valid in a $select or $expand expression.`, 'BadRequest');
    const name = m[1] ?? '';
    if (name.toLowerCase() !== 'manager') {
      throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.user'.`, 'BadRequest');
    }
    const expand: ManagerExpand = { levels: null, select: null };
    for (const opt of splitTopLevel(m[2] ?? '', ';')) {
      const eq = opt.indexOf('=');
      const key = (eq === -1 ? opt : opt.slice(0, eq)).trim().toLowerCase();
      const val = eq === -1 ? '' : opt.slice(eq + 1).trim();
      if (key === '$levels') {
        if (val.toLowerCase() === 'max') expand.levels = 'max';
        else if (/^\d+$/.test(val) && Number(val) >= 1 && Number(val) <= 1000) expand.levels = Number(val);
        else throw badRequest(`Invalid value '${val}' for $levels. The value must be 'max' or an integer between 1 and 1000.`, 'BadRequest');
      } else if (key === '$select') {
        expand.select = parseSelect(val, knownUserProps, 'microsoft.graph.user');
      } else {
        throw badRequest(`Query option '${key}' is not supported in $expand.`, 'BadRequest');
      }
    }
    result = expand;
  }
  return result;
}

export interface CollectionExpand {
  /** The navigation property, spelt as in `allowed`. */
  property: string;
  select: string[] | null;
}

/**
 * Parses `$expand` of collection-valued navigation properties (`members`, `owners($select=id)`),
 * refusing names outside `allowed` the way Graph does. Null when there is no `$expand`.
 */
export function parseCollectionExpand(value: string | undefined, allowed: readonly string[], knownProps: readonly string[], typeName: string): CollectionExpand[] | null {
  if (value === undefined) return null;
  return splitTopLevel(value, ',').map((item) => {
    const m = /^([A-Za-z]+)\s*(?:\((.*)\))?$/s.exec(item);
    const property = allowed.find((a) => a.toLowerCase() === (m?.[1] ?? '').toLowerCase());
    if (m === null || property === undefined) {
      throw badRequest(`Could not find a property named '${m?.[1] ?? item}' on type '${typeName}'.`, 'BadRequest');
    }
    let select: string[] | null = null;
    for (const opt of splitTopLevel(m[2] ?? '', ';')) {
      const eq = opt.indexOf('=');
      const key = (eq === -1 ? opt : opt.slice(0, eq)).trim().toLowerCase();
      if (key !== '$select') throw badRequest(`Query option '${key}' is not supported in $expand.`, 'BadRequest');
      select = parseSelect(opt.slice(eq + 1).trim(), knownProps, 'microsoft.graph.directoryObject');
    }
    return { property, select };
  });
}

export type FilterValue = string | boolean | null;
export interface FilterCondition {
  property: string;
  op: 'eq' | 'in';
  values: FilterValue[];
}

/**
 * Parses `prop eq 'x'`, `prop eq true`, `prop in ('a','b')`, joined by `and`. Anything else is
 * refused as Graph refuses unsupported filters.
 */
export function parseFilter(value: string): FilterCondition[] {
  const clauses = splitAnd(value);
  return clauses.map((clause) => {
    const eq = /^([A-Za-z]+)\s+eq\s+(.+)$/s.exec(clause);
    if (eq !== null) return { property: eq[1] ?? '', op: 'eq', values: [parseLiteral(eq[2] ?? '')] };
    const inn = /^([A-Za-z]+)\s+in\s+\((.*)\)$/s.exec(clause);
    if (inn !== null) {
      return { property: inn[1] ?? '', op: 'in', values: splitTopLevel(inn[2] ?? '', ',').map(parseLiteral) };
    }
    throw badRequest('Unsupported Query.', 'Request_UnsupportedQuery');
  });
}

function splitAnd(s: string): string[] {
  const parts: string[] = [];
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "'") inQuote = !inQuote;
    if (!inQuote && /^\sand\s/i.test(s.slice(i, i + 5))) {
      parts.push(s.slice(start, i));
      start = i + 5;
      i += 4;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseLiteral(raw: string): FilterValue {
  const t = raw.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  const m = /^'((?:[^']|'')*)'$/s.exec(t);
  if (m !== null) return (m[1] ?? '').replace(/''/g, "'");
  throw badRequest(`Invalid filter clause: unsupported literal ${t}.`, 'BadRequest');
}
