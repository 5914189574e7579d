/**
 * The small subset of OData that the Graph half understands: `$select`, `$top`, `$skiptoken`,
 * `$filter` (eq / in, joined by `and`), `$expand=manager(...)`, `$count`.
 */
import { badRequest, graphRoot, type GraphEnv } from './http';

/** Directory collections: "default and maximum page sizes are 100 and 999" (facts §3). */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 999;

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

function encodeSkipToken(offset: number): string {
  return SKIPTOKEN_PREFIX + Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

function decodeSkipToken(token: string): number {
  if (!token.startsWith(SKIPTOKEN_PREFIX)) throw badRequest('Invalid skip token.', 'Request_BadRequest');
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token.slice(SKIPTOKEN_PREFIX.length), 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed) {
      const o = (parsed as { o: unknown }).o;
      if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
    }
  } catch {
    // fall through
  }
  throw badRequest('Invalid skip token.', 'Request_BadRequest');
}

/**
 * One page of a collection plus the absolute `@odata.nextLink` (https, this tenant's host) that
 * carries the same options and a `$skiptoken`. `$count` is left off the nextLink: `@odata.count`
 * belongs to the first page only, and clients do not resend `ConsistencyLevel` on nextLinks.
 */
export function pageOf<T>(env: GraphEnv, items: readonly T[], defaultTop = DEFAULT_PAGE_SIZE): { page: T[]; nextLink: string | null } {
  const top = parseTop(env.req.query.get('$top'), defaultTop);
  const token = env.req.query.get('$skiptoken');
  const offset = token === undefined ? 0 : decodeSkipToken(token);
  const page = items.slice(offset, offset + top);
  const next = offset + top;
  if (next >= items.length) return { page, nextLink: null };
  const params: string[] = [];
  for (const [k, v] of env.req.query) {
    if (k === '$skiptoken' || k === '$count') continue;
    params.push(`${k}=${encodeQueryValue(v)}`);
  }
  params.push(`$skiptoken=${encodeSkipToken(next)}`);
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
