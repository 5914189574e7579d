/**
 * The endpoint template of a Graph request, the label its metrics and spans carry: the path with
 * object ids, UPNs, mail addresses and other keys replaced by `{id}` and the query dropped, so a
 * label never names a person and the number of series stays that of the endpoints the broker
 * calls. `/v1.0` is implied; a beta path keeps its `/beta`.
 */
import 'server-only';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERSIONS = new Set(['v1.0', 'beta']);

function templateSegment(raw: string): string {
  let segment = raw;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    // A malformed escape is judged as it stands.
  }
  if (/^(?:microsoft\.graph\.)?delta(?:\(\))?$/i.test(segment)) return 'delta';
  // OData key syntax: users('id') → users/{id}; alternate key: servicePrincipals(appId='id') →
  // servicePrincipals(appId={id}). A function call with no argument, e.g. `getByIds()`, stays.
  const key = /^([A-Za-z.]+)\((.+)\)$/.exec(segment);
  if (key !== null) {
    const alternate = /^([A-Za-z]+)=/.exec(key[2] ?? '');
    return alternate === null ? `${key[1]}/{id}` : `${key[1]}(${alternate[1]}={id})`;
  }
  // Ids, UPNs and mail addresses; anything that is not a plain word is a key of some sort.
  if (GUID_RE.test(segment) || !/^\$?[A-Za-z][A-Za-z0-9.]{0,63}(?:\(\))?$/.test(segment) || (segment.match(/\d/g)?.length ?? 0) > 3) return '{id}';
  return segment;
}

/**
 * `GET` + `https://graph.microsoft.com/v1.0/users/4f…/authentication/methods?$select=id` →
 * `/users/{id}/authentication/methods`. Accepts an absolute URL (the client's, any base path up
 * to the version) or a path relative to the version root (a `$batch` item's).
 */
export function graphEndpointTemplate(url: string): string {
  const bare = (URL.canParse(url) ? new URL(url).pathname : url).split('?')[0] ?? '';
  const segments = bare.split('/').filter((segment) => segment !== '');
  const version = segments.findIndex((segment) => VERSIONS.has(segment));
  const rest = version < 0 ? segments : segments.slice(version + 1);
  const prefix = version >= 0 && segments[version] === 'beta' ? '/beta' : '';
  return `${prefix}/${rest.map(templateSegment).join('/')}`;
}
