/**
 * `GET|PATCH /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`
 * (docs/graph-behaviours.md#tap-policy). The segment is matched case-insensitively: the docs
 * spell it `temporaryAccessPass`, the returned id is `TemporaryAccessPass`.
 */
import type { TapPolicy } from '../types';
import { GraphHttpError, graphRoot, isPlainObject, jsonResponse, noContent, parseJsonBody, type GraphEnv, type GraphResponse } from './http';
import { POLICY_READ, POLICY_WRITE, requireDirectory } from './permissions';

const CONFIG_TYPE = '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration';
const CONFIG_ID = 'TemporaryAccessPass';

export function isTapConfigurationId(segment: string): boolean {
  return segment.toLowerCase() === CONFIG_ID.toLowerCase();
}

function policyBody(env: GraphEnv, p: TapPolicy): Record<string, unknown> {
  const root = graphRoot(env.ctx, env.req.version);
  return {
    '@odata.context': `${root}/$metadata#authenticationMethodConfigurations/$entity`,
    '@odata.type': CONFIG_TYPE,
    id: CONFIG_ID,
    state: p.state,
    defaultLifetimeInMinutes: p.defaultLifetimeInMinutes,
    defaultLength: p.defaultLength,
    minimumLifetimeInMinutes: p.minimumLifetimeInMinutes,
    maximumLifetimeInMinutes: p.maximumLifetimeInMinutes,
    isUsableOnce: p.isUsableOnce,
    'includeTargets@odata.context': `${root}/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations('${CONFIG_ID}')/microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration/includeTargets`,
    includeTargets: p.includeTargets.map((t) => ({ ...t })),
    excludeTargets: p.excludeTargets.map((t) => ({ ...t })),
  };
}

/**
 * Graph documents the permission but not the 403 body for this API; we answer like the other
 * directory APIs (`Authorization_RequestDenied`).
 */
export function getTapPolicy(env: GraphEnv): GraphResponse {
  requireDirectory(env, POLICY_READ);
  return jsonResponse(env.req, 200, policyBody(env, env.ctx.directory.tapPolicy));
}

function invalid(message: string): GraphHttpError {
  return new GraphHttpError(400, 'badRequest', message);
}

function intIn(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(`Invalid value for '${name}'. The value must be an integer between ${min} and ${max}.`);
  }
  return v;
}

function parseIncludeTargets(v: unknown): TapPolicy['includeTargets'] {
  if (!Array.isArray(v)) throw invalid("Invalid value for 'includeTargets'.");
  return v.map((t) => {
    if (!isPlainObject(t) || typeof t['id'] !== 'string' || (t['targetType'] !== undefined && t['targetType'] !== 'group')) {
      throw invalid("Invalid value for 'includeTargets'.");
    }
    const reg = t['isRegistrationRequired'];
    if (reg !== undefined && typeof reg !== 'boolean') throw invalid("Invalid value for 'includeTargets'.");
    return { targetType: 'group' as const, id: t['id'], isRegistrationRequired: reg ?? false };
  });
}

function parseExcludeTargets(v: unknown): TapPolicy['excludeTargets'] {
  if (!Array.isArray(v)) throw invalid("Invalid value for 'excludeTargets'.");
  return v.map((t) => {
    if (!isPlainObject(t) || typeof t['id'] !== 'string' || (t['targetType'] !== undefined && t['targetType'] !== 'group')) {
      throw invalid("Invalid value for 'excludeTargets'.");
    }
    return { targetType: 'group' as const, id: t['id'] };
  });
}

/** `PATCH …/TemporaryAccessPass` → 204. The whole resulting policy is validated before it applies. */
export function patchTapPolicy(env: GraphEnv): GraphResponse {
  requireDirectory(env, POLICY_WRITE);
  const body = parseJsonBody(env.req);
  if (!isPlainObject(body)) throw invalid('Empty Payload. JSON content expected.');
  const current = env.ctx.directory.tapPolicy;
  const next: TapPolicy = {
    ...current,
    includeTargets: current.includeTargets.map((t) => ({ ...t })),
    excludeTargets: current.excludeTargets.map((t) => ({ ...t })),
  };
  for (const [key, v] of Object.entries(body)) {
    switch (key) {
      case '@odata.type':
        if (v !== CONFIG_TYPE) throw invalid(`Invalid @odata.type '${String(v)}'.`);
        break;
      case 'id':
        if (typeof v !== 'string' || !isTapConfigurationId(v)) throw invalid("Property 'id' is read-only and cannot be set.");
        break;
      case 'state':
        if (v !== 'enabled' && v !== 'disabled') throw invalid("Invalid value for 'state'. Allowed values are 'enabled' and 'disabled'.");
        next.state = v;
        break;
      case 'defaultLifetimeInMinutes':
        next.defaultLifetimeInMinutes = intIn(key, v, 10, 43200);
        break;
      case 'minimumLifetimeInMinutes':
        next.minimumLifetimeInMinutes = intIn(key, v, 10, 43200);
        break;
      case 'maximumLifetimeInMinutes':
        next.maximumLifetimeInMinutes = intIn(key, v, 10, 43200);
        break;
      case 'defaultLength':
        next.defaultLength = intIn(key, v, 8, 48);
        break;
      case 'isUsableOnce':
        if (typeof v !== 'boolean') throw invalid("Invalid value for 'isUsableOnce'.");
        next.isUsableOnce = v;
        break;
      case 'includeTargets':
        next.includeTargets = parseIncludeTargets(v);
        break;
      case 'excludeTargets':
        next.excludeTargets = parseExcludeTargets(v);
        break;
      default:
        if (key.endsWith('@odata.context')) break;
        throw invalid(`Property '${key}' does not exist on type 'microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration'.`);
    }
  }
  if (next.minimumLifetimeInMinutes > next.maximumLifetimeInMinutes) {
    throw invalid('minimumLifetimeInMinutes must be less than or equal to maximumLifetimeInMinutes.');
  }
  if (next.defaultLifetimeInMinutes < next.minimumLifetimeInMinutes || next.defaultLifetimeInMinutes > next.maximumLifetimeInMinutes) {
    throw invalid('defaultLifetimeInMinutes must be between minimumLifetimeInMinutes and maximumLifetimeInMinutes.');
  }
  // Mutate in place: other holders of the policy object (the OIDC half) see the change.
  Object.assign(current, next);
  return noContent(env.req);
}
