/**
 * The seed file (docs/api-contract.md#seed-file): schema, validation with messages that name the
 * bad entry, and conversion into a {@link Directory}.
 *
 * Rules beyond the JSON shape:
 * - unknown keys are ignored (`z.object` strips them), so seeds may carry notes such as `demoAccounts`;
 * - `id` is optional per user; when absent it is derived stably from the UPN (SHA-256 based GUID),
 *   so the same seed always yields the same ids across restarts and machines;
 * - `manager` is a UPN (case-insensitive) of another user in the same seed, or null;
 * - `directoryRoles` entries are role display names or template ids (see `tenant/roles.ts`);
 * - duplicate UPNs or ids, a manager that is not in the seed, or a user managing themselves
 *   are refused. Manager cycles are allowed, as Graph allows them.
 * - extension: optional top-level `groups: [{ id?, displayName, description?, isAssignableToRole?,
 *   members: [user UPN | group displayName], owners?: [user UPN], directoryRoles?: [..],
 *   appRoles?: [TapBroker.*] }]`. As in Entra, only role-assignable groups may hold directory
 *   roles, and they cannot contain groups. Group ids default to a GUID derived from the display
 *   name (unique among groups). A group's `appRoles` are held by its members, nested ones included.
 * - a `directoryRoles` entry (users and groups) is a role reference — built-in display name,
 *   template id, or a custom role's displayName or id — or an object
 *   `{ role, scope?: "/" | "/administrativeUnits/<displayName | id>", assignment?: "active" | "eligible" }`;
 *   a plain reference is an active, tenant-wide assignment. A GUID that is neither a custom role's
 *   id nor a known template id is taken as a built-in role the local table does not name.
 * - optional top-level `customRoles: [{ id?, displayName, description?, permissions: [action] }]`
 *   (ids default to a GUID derived from the name; a custom role may not take a built-in role's name)
 *   and `administrativeUnits: [{ id?, displayName, description?, isMemberManagementRestricted?,
 *   members: [user UPN | group displayName] }]`.
 * - `portal.accessTokenVersion`: 1 | 2 (default 2), the API registration's requested token version.
 * - optional top-level `authContexts: [{ id: "c1"…"c99", displayName?, requireMfa,
 *   signInFrequencyMinutes? | signInFrequency?: "everyTime" }]`: Conditional Access authentication
 *   contexts and what their policy demands (ids unique). Without a sign-in frequency a proof lasts
 *   the session and its refresh tokens; with minutes, that long; with "everyTime" (not combinable
 *   with minutes) every authorize request naming the context asks again and only the code of
 *   that sign-in carries the proof, never a refresh token. A user's optional
 *   `mfa: { totpSecret: "<base32>" }` is their authenticator app (RFC 6238).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { isFirstPartyAppId } from './app-registry';
import { buildDirectory } from './directory';
import { PORTAL_APP_ROLES, registerSeedApps } from './seed-apps';
import { attachSeedViews } from './seed-views';
import { normalizeTotpSecret } from './mfa';
import { BUILT_IN_DIRECTORY_ROLES, resolveDirectoryRole } from './roles';
import { stableGuid } from './stable-guid';
import type {
  AdministrativeUnit,
  AuthContextDefinition,
  CustomRoleDefinition,
  Directory,
  DirectoryGroup,
  DirectoryRoleAssignment,
  DirectoryUser,
  TapPolicy,
} from './types';

export { BUILT_IN_DIRECTORY_ROLES, getDirectoryRoleInfo, resolveDirectoryRole } from './roles';
export { stableGuid } from './stable-guid';

export { PORTAL_APP_ROLES } from './seed-apps';

export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

/** The object id a user gets when the seed gives none. */
export function userIdFromUpn(upn: string): string {
  return stableGuid('tap-broker-local-tenant/user', upn.toLowerCase());
}

const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID')
  .transform((s) => s.toLowerCase());

const optionalText = z.string().nullable().optional();

const dateTime = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date or date-time' })
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s).toISOString().replace('.000Z', 'Z'));

const pemCertificate = z.string().refine(
  (pem) => {
    try {
      new X509Certificate(pem);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a PEM certificate' },
);

const clientSchema = z.object({
  clientId: guid,
  clientSecret: z.string().min(1, 'must not be empty'),
  /** Extension: certificates (PEM) accepted for client assertions, in addition to the secret. */
  certificates: z.array(pemCertificate).optional(),
  graphPermissions: z.array(z.string().min(1)).default([]),
  displayName: z.string().min(1).optional(),
  servicePrincipalId: guid.optional(),
});

const tapPolicySchema = z
  .object({
    state: z.enum(['enabled', 'disabled']),
    defaultLifetimeInMinutes: z.number().int().min(10).max(43200).default(60),
    minimumLifetimeInMinutes: z.number().int().min(10).max(43200).default(60),
    maximumLifetimeInMinutes: z.number().int().min(10).max(43200).default(480),
    defaultLength: z.number().int().min(8).max(48).default(8),
    isUsableOnce: z.boolean().default(false),
    includeTargets: z
      .array(z.object({ targetType: z.literal('group'), id: z.string().min(1), isRegistrationRequired: z.boolean().default(false) }))
      .default([{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }]),
    excludeTargets: z.array(z.object({ targetType: z.literal('group'), id: z.string().min(1) })).default([]),
  })
  .refine((p) => p.minimumLifetimeInMinutes <= p.maximumLifetimeInMinutes, {
    message: 'minimumLifetimeInMinutes must not exceed maximumLifetimeInMinutes',
  })
  .refine((p) => p.defaultLifetimeInMinutes >= p.minimumLifetimeInMinutes && p.defaultLifetimeInMinutes <= p.maximumLifetimeInMinutes, {
    message: 'defaultLifetimeInMinutes must lie between minimumLifetimeInMinutes and maximumLifetimeInMinutes',
  });

/**
 * A `directoryRoles` entry: a bare role reference is shorthand for an active, tenant-wide
 * assignment. Scope and role references are resolved later, once AUs and custom roles are known.
 */
const roleEntrySchema = z.preprocess(
  (v) => (typeof v === 'string' ? { role: v } : v),
  z.object(
    {
      role: z.string().trim().min(1, 'must not be empty'),
      scope: z.string().trim().min(1, 'must not be empty').default('/'),
      assignment: z.enum(['active', 'eligible'], { error: 'must be "active" or "eligible"' }).default('active'),
    },
    { error: 'must be a role name or template id, or an object { "role", "scope"?, "assignment"? }' },
  ),
);
type SeedRoleEntry = z.output<typeof roleEntrySchema>;

const appRoleSchema = z.enum(PORTAL_APP_ROLES, { error: `must be one of ${PORTAL_APP_ROLES.join(', ')}` });

/** Entra's authentication context ids: `c1` … `c99`. */
export const AUTH_CONTEXT_ID_PATTERN = /^c([1-9]|[1-9][0-9])$/;

const authContextSchema = z
  .object({
    id: z.string().regex(AUTH_CONTEXT_ID_PATTERN, 'must be an authentication context id, c1 … c99'),
    displayName: z.string().trim().min(1, 'must not be empty').optional(),
    requireMfa: z.boolean({ error: 'must be true or false' }),
    signInFrequencyMinutes: z.number().int().min(1).max(525_600).optional(),
    // Graph's signInFrequencySessionControl: a number of minutes (timeBased) or everyTime, never both.
    signInFrequency: z.literal('everyTime', { error: 'must be "everyTime" (for a number of minutes, use signInFrequencyMinutes)' }).optional(),
  })
  .refine((c) => c.signInFrequency === undefined || c.signInFrequencyMinutes === undefined, {
    path: ['signInFrequency'],
    error: 'cannot be combined with signInFrequencyMinutes: a sign-in frequency is "everyTime" or a number of minutes, not both',
  });

const totpSecretSchema = z
  .string()
  .transform((raw, c) => {
    const secret = normalizeTotpSecret(raw);
    if (secret === null) {
      c.addIssue({ code: 'custom', message: 'must be a base32 secret (letters A-Z and digits 2-7) of at least 16 characters' });
      return z.NEVER;
    }
    return secret;
  });

const userSchema = z.object({
  id: guid.optional(),
  userPrincipalName: z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must look like name@domain'),
  displayName: z.string().min(1, 'must not be empty'),
  /** Absent: the user cannot sign in with a password (like a passwordless or synced account). */
  password: z.string().min(1).optional(),
  manager: z.string().nullable().optional(),
  givenName: optionalText,
  surname: optionalText,
  mail: optionalText,
  jobTitle: optionalText,
  department: optionalText,
  officeLocation: optionalText,
  mobilePhone: optionalText,
  businessPhones: z.array(z.string()).default([]),
  preferredLanguage: optionalText,
  employeeId: optionalText,
  accountEnabled: z.boolean().default(true),
  userType: z.enum(['Member', 'Guest']).default('Member'),
  employeeHireDate: dateTime.nullable().optional(),
  createdDateTime: dateTime.optional(),
  directoryRoles: z.array(roleEntrySchema).default([]),
  appRoles: z.array(appRoleSchema).default([]),
  /** The user's authenticator app; absent or null: the user cannot pass a second factor. */
  mfa: z.object({ totpSecret: totpSecretSchema }).nullable().optional(),
});

const groupSchema = z.object({
  id: guid.optional(),
  displayName: z.string().min(1, 'must not be empty'),
  description: z.string().nullable().optional(),
  isAssignableToRole: z.boolean().default(false),
  members: z.array(z.string().min(1)).default([]),
  owners: z.array(z.string().min(1)).default([]),
  directoryRoles: z.array(roleEntrySchema).default([]),
  appRoles: z.array(appRoleSchema).default([]),
});

const customRoleSchema = z.object({
  id: guid.optional(),
  displayName: z.string().trim().min(1, 'must not be empty'),
  description: z.string().nullable().optional(),
  permissions: z.array(z.string().min(1, 'must not be empty')).default([]),
});

const administrativeUnitSchema = z.object({
  id: guid.optional(),
  displayName: z.string().trim().min(1, 'must not be empty'),
  description: z.string().nullable().optional(),
  isMemberManagementRestricted: z.boolean().default(false),
  members: z.array(z.string().min(1)).default([]),
});

/** The id a custom role definition gets when the seed gives none. */
export function customRoleIdFromName(displayName: string): string {
  return stableGuid('tap-broker-local-tenant/custom-role', displayName.toLowerCase());
}

/** The object id an administrative unit gets when the seed gives none. */
export function administrativeUnitIdFromName(displayName: string): string {
  return stableGuid('tap-broker-local-tenant/administrative-unit', displayName.toLowerCase());
}

/** The object id a group gets when the seed gives none. */
export function groupIdFromName(displayName: string): string {
  return stableGuid('tap-broker-local-tenant/group', displayName.toLowerCase());
}

export const seedSchema = z.object({
  tenantId: guid,
  portal: z
    .object({
    clientId: guid,
    apiClientId: guid,
    scope: z.string().regex(/^[\w.-]+$/, 'must be a bare scope name such as access_as_user').default('access_as_user'),
    redirectUris: z.array(z.url({ protocol: /^https?$/ })).min(1, 'must list at least one redirect URI'),
    accessTokenVersion: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).default(2),
    })
    .optional(),
  broker: clientSchema.optional(),
  automation: clientSchema.nullable().optional(),
  tapPolicy: tapPolicySchema,
  users: z.array(z.unknown()),
  groups: z.array(z.unknown()).optional(),
  customRoles: z.array(z.unknown()).optional(),
  administrativeUnits: z.array(z.unknown()).optional(),
  authContexts: z.array(z.unknown()).optional(),
});

/** A `directoryRoles` entry as written in a seed file. */
export type SeedDirectoryRole = string | { role: string; scope?: string; assignment?: 'active' | 'eligible' };

type WithRoles<T> = Omit<T, 'directoryRoles'> & { directoryRoles?: SeedDirectoryRole[] };

/** The seed's `portal`, `broker` and `automation` entries, validated. */
export type SeedPortalEntry = NonNullable<z.output<typeof seedSchema>['portal']>;
export type SeedClientEntry = z.output<typeof clientSchema>;

export type SeedFile = z.input<typeof seedSchema> & {
  users: WithRoles<z.input<typeof userSchema>>[];
  groups?: WithRoles<z.input<typeof groupSchema>>[];
  customRoles?: z.input<typeof customRoleSchema>[];
  administrativeUnits?: z.input<typeof administrativeUnitSchema>[];
  authContexts?: z.input<typeof authContextSchema>[];
};
type SeedUser = z.output<typeof userSchema>;

function describePath(pathParts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of pathParts) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** `label: path: message`, leaving out the parts that are empty. */
function formatIssues(label: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => [label, describePath(i.path), i.message].filter((part) => part !== '').join(': '));
}

function userLabel(index: number, raw: unknown): string {
  const upn =
    typeof raw === 'object' && raw !== null && 'userPrincipalName' in raw && typeof raw.userPrincipalName === 'string'
      ? ` (${raw.userPrincipalName})`
      : '';
  return `users[${index}]${upn}`;
}

/** Report at most this many problems; a generated seed with a systematic error would print thousands. */
const MAX_REPORTED = 20;

function fail(problems: string[], source: string): never {
  const shown = problems.slice(0, MAX_REPORTED);
  const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
  throw new SeedError(`invalid seed ${source}:\n  ${shown.join('\n  ')}${more}`);
}

function guestMail(upn: string): string | null {
  const m = /^(.+)#EXT#@/i.exec(upn);
  if (!m?.[1]) return null;
  const local = m[1];
  const at = local.lastIndexOf('_');
  return at > 0 ? `${local.slice(0, at)}@${local.slice(at + 1)}` : null;
}

/**
 * Validates a parsed seed object and builds the directory.
 * @param source a label for messages, e.g. the file path
 * @throws SeedError naming every bad entry (up to 20)
 */
export function parseSeed(raw: unknown, source = '(inline)'): Directory {
  const top = seedSchema.safeParse(raw);
  if (!top.success) fail(formatIssues('', top.error.issues), source);
  const seed = top.data;
  const problems: string[] = [];

  const clientIds = [
    ...(seed.portal ? [['portal.clientId', seed.portal.clientId] as const, ['portal.apiClientId', seed.portal.apiClientId] as const] : []),
    ...(seed.broker ? [['broker.clientId', seed.broker.clientId] as const] : []),
    ...(seed.automation ? [['automation.clientId', seed.automation.clientId] as const] : []),
  ] as const;
  for (const [label, id] of clientIds) {
    if (isFirstPartyAppId(id)) problems.push(`${label}: ${id} is a Microsoft first-party app id, always present in the tenant`);
  }
  for (let i = 0; i < clientIds.length; i++) {
    for (let j = i + 1; j < clientIds.length; j++) {
      const a = clientIds[i];
      const b = clientIds[j];
      if (a && b && a[1] === b[1]) problems.push(`${b[0]}: must differ from ${a[0]} (${a[1]})`);
    }
  }

  const parsed: { user: SeedUser; label: string }[] = [];
  seed.users.forEach((rawUser, index) => {
    const label = userLabel(index, rawUser);
    const r = userSchema.safeParse(rawUser);
    if (!r.success) problems.push(...formatIssues(label, r.error.issues));
    else parsed.push({ user: r.data, label });
  });
  if (seed.users.length === 0) problems.push('users: must list at least one user');

  const idByUpn = new Map<string, string>();
  const labelById = new Map<string, string>();
  for (const { user, label } of parsed) {
    const upn = user.userPrincipalName.toLowerCase();
    const id = user.id ?? userIdFromUpn(upn);
    if (idByUpn.has(upn)) problems.push(`${label}: duplicate userPrincipalName (also used by an earlier user)`);
    else idByUpn.set(upn, id);
    const clash = labelById.get(id);
    if (clash !== undefined) problems.push(`${label}: duplicate id ${id} (also used by ${clash})`);
    else labelById.set(id, label);
  }

  const users: DirectoryUser[] = [];
  const appRolesByPrincipal = new Map<string, string[]>();
  const roleEntriesByPrincipal: { principalId: string; label: string; entries: SeedRoleEntry[] }[] = [];
  for (const { user, label } of parsed) {
    const upnLower = user.userPrincipalName.toLowerCase();
    const id = user.id ?? userIdFromUpn(upnLower);
    let managerId: string | null = null;
    if (user.manager !== undefined && user.manager !== null) {
      const m = idByUpn.get(user.manager.toLowerCase());
      if (m === undefined) problems.push(`${label}: manager "${user.manager}" is not a user in the seed`);
      else if (m === id) problems.push(`${label}: manager "${user.manager}" is the user themselves`);
      else managerId = m;
    }
    roleEntriesByPrincipal.push({ principalId: id, label, entries: user.directoryRoles });
    const hire = user.employeeHireDate ?? null;
    users.push({
      id,
      userPrincipalName: user.userPrincipalName,
      displayName: user.displayName,
      givenName: user.givenName ?? null,
      surname: user.surname ?? null,
      mail: user.mail ?? (user.userType === 'Guest' ? guestMail(user.userPrincipalName) : user.userPrincipalName),
      jobTitle: user.jobTitle ?? null,
      department: user.department ?? null,
      officeLocation: user.officeLocation ?? null,
      mobilePhone: user.mobilePhone ?? null,
      businessPhones: user.businessPhones,
      preferredLanguage: user.preferredLanguage ?? null,
      accountEnabled: user.accountEnabled,
      userType: user.userType,
      employeeHireDate: hire,
      employeeId: user.employeeId ?? null,
      // Accounts are usually provisioned a couple of weeks before the hire date.
      createdDateTime:
        user.createdDateTime ??
        (hire !== null ? new Date(Date.parse(hire) - 14 * 86_400_000).toISOString().replace('.000Z', 'Z') : '2020-01-01T08:00:00Z'),
      password: user.password ?? '',
      totpSecret: user.mfa?.totpSecret ?? null,
      managerId,
      appRoles: [],
    });
    if (user.appRoles.length > 0) appRolesByPrincipal.set(id, [...new Set(user.appRoles)]);
  }
  const customRoles = parseCustomRoles(seed.customRoles ?? [], problems);
  const authContexts = parseAuthContexts(seed.authContexts ?? [], problems);
  const takenIds = new Set(labelById.keys());
  const { groups, roleEntries: groupRoleEntries } = parseGroups(seed.groups ?? [], idByUpn, takenIds, problems);
  const groupIdByName = new Map(groups.map((g) => [g.displayName.toLowerCase(), g.id]));
  for (const g of groups) takenIds.add(g.id);
  const administrativeUnits = parseAdministrativeUnits(seed.administrativeUnits ?? [], idByUpn, groupIdByName, takenIds, problems);
  const refs = roleReferences(customRoles, administrativeUnits);
  const roleAssignments: DirectoryRoleAssignment[] = [];
  for (const { principalId, label, entries } of [...roleEntriesByPrincipal, ...groupRoleEntries]) {
    roleAssignments.push(...resolveRoleEntries(label, principalId, entries, refs, problems));
  }

  for (const g of groups) {
    if (g.appRoles.length > 0) appRolesByPrincipal.set(g.id, g.appRoles);
    g.appRoles = [];
  }
  if (!seed.portal && appRolesByPrincipal.size > 0) {
    problems.push('appRoles: users and groups hold TapBroker.* roles on the portal API, but the seed registers none (add "portal")');
  }
  if (problems.length > 0) fail(problems, source);

  const tapPolicy: TapPolicy = seed.tapPolicy;
  const dir = buildDirectory({ tenantId: seed.tenantId, tapPolicy, users, groups, roleAssignments, customRoles, administrativeUnits, authContexts });
  const seeded = registerSeedApps(dir, { portal: seed.portal, broker: seed.broker, automation: seed.automation ?? null }, appRolesByPrincipal);
  attachSeedViews(dir, seeded);
  return dir;
}

function entryLabel(kind: string, index: number, raw: unknown): string {
  const name =
    typeof raw === 'object' && raw !== null && 'displayName' in raw && typeof raw.displayName === 'string' ? ` (${raw.displayName})` : '';
  return `${kind}[${index}]${name}`;
}

/** Validates `authContexts`; ids are unique (tokens and claims requests name contexts by id). */
function parseAuthContexts(raw: unknown[], problems: string[]): AuthContextDefinition[] {
  const out: AuthContextDefinition[] = [];
  raw.forEach((item, index) => {
    const id = typeof item === 'object' && item !== null && 'id' in item && typeof item.id === 'string' ? ` (${item.id})` : '';
    const label = `authContexts[${index}]${id}`;
    const r = authContextSchema.safeParse(item);
    if (!r.success) {
      problems.push(...formatIssues(label, r.error.issues));
      return;
    }
    if (out.some((c) => c.id === r.data.id)) {
      problems.push(`${label}: duplicate id ${r.data.id}`);
      return;
    }
    out.push({
      id: r.data.id,
      displayName: r.data.displayName ?? null,
      requireMfa: r.data.requireMfa,
      signInFrequencyMinutes: r.data.signInFrequencyMinutes ?? null,
      everyTime: r.data.signInFrequency === 'everyTime',
    });
  });
  return out;
}

/** Validates `customRoles`; a custom role may not reuse a built-in role's name or template id. */
function parseCustomRoles(raw: unknown[], problems: string[]): CustomRoleDefinition[] {
  const out: CustomRoleDefinition[] = [];
  const names = new Set<string>();
  const ids = new Set<string>();
  raw.forEach((item, index) => {
    const label = entryLabel('customRoles', index, item);
    const r = customRoleSchema.safeParse(item);
    if (!r.success) {
      problems.push(...formatIssues(label, r.error.issues));
      return;
    }
    const id = r.data.id ?? customRoleIdFromName(r.data.displayName);
    const nameKey = r.data.displayName.toLowerCase();
    if (resolveDirectoryRole(r.data.displayName) !== null) problems.push(`${label}: displayName is the name of a built-in role`);
    else if (names.has(nameKey)) problems.push(`${label}: duplicate displayName (role entries refer to custom roles by name)`);
    if (BUILT_IN_DIRECTORY_ROLES.some((b) => b.templateId === id)) problems.push(`${label}: id ${id} is a built-in role's template id`);
    else if (ids.has(id)) problems.push(`${label}: duplicate id ${id}`);
    names.add(nameKey);
    ids.add(id);
    out.push({ id, displayName: r.data.displayName, description: r.data.description ?? null, permissions: [...new Set(r.data.permissions)] });
  });
  return out;
}

/** Validates the `groups` extension; problems are appended, naming the bad entry. */
function parseGroups(
  rawGroups: unknown[],
  idByUpn: Map<string, string>,
  userIds: Set<string>,
  problems: string[],
): { groups: DirectoryGroup[]; roleEntries: { principalId: string; label: string; entries: SeedRoleEntry[] }[] } {
  const parsed: { group: z.output<typeof groupSchema>; label: string; id: string }[] = [];
  const idByName = new Map<string, string>();
  const ids = new Set<string>();
  rawGroups.forEach((raw, index) => {
    const label = entryLabel('groups', index, raw);
    const r = groupSchema.safeParse(raw);
    if (!r.success) {
      problems.push(...formatIssues(label, r.error.issues));
      return;
    }
    const id = r.data.id ?? groupIdFromName(r.data.displayName);
    const nameKey = r.data.displayName.toLowerCase();
    if (idByName.has(nameKey)) problems.push(`${label}: duplicate displayName (members refer to groups by name)`);
    else idByName.set(nameKey, id);
    if (ids.has(id) || userIds.has(id)) problems.push(`${label}: duplicate id ${id}`);
    ids.add(id);
    parsed.push({ group: r.data, label, id });
  });
  const roleEntries: { principalId: string; label: string; entries: SeedRoleEntry[] }[] = [];
  const groups = parsed.map(({ group, label, id }) => {
    const memberIds: string[] = [];
    group.members.forEach((ref, i) => {
      const userId = idByUpn.get(ref.toLowerCase());
      const groupId = idByName.get(ref.toLowerCase());
      const memberId = userId ?? groupId;
      if (memberId === undefined) problems.push(`${label}: members[${i}] "${ref}" is neither a user's UPN nor a group's displayName in the seed`);
      else if (memberId === id) problems.push(`${label}: members[${i}] "${ref}" is the group itself`);
      else if (userId === undefined && group.isAssignableToRole) problems.push(`${label}: members[${i}] "${ref}": a role-assignable group cannot contain groups`);
      else if (!memberIds.includes(memberId)) memberIds.push(memberId);
    });
    const ownerIds: string[] = [];
    group.owners.forEach((ref, i) => {
      const userId = idByUpn.get(ref.toLowerCase());
      if (userId === undefined) problems.push(`${label}: owners[${i}] "${ref}" is not a user's UPN in the seed`);
      else if (!ownerIds.includes(userId)) ownerIds.push(userId);
    });
    if (group.directoryRoles.length > 0) {
      if (group.isAssignableToRole) roleEntries.push({ principalId: id, label, entries: group.directoryRoles });
      else problems.push(`${label}: directoryRoles need "isAssignableToRole": true (only role-assignable groups can hold roles)`);
    }
    return {
      id,
      displayName: group.displayName,
      description: group.description ?? null,
      isAssignableToRole: group.isAssignableToRole,
      memberIds,
      ownerIds,
      appRoles: [...new Set(group.appRoles)],
    };
  });
  return { groups, roleEntries };
}

/** Validates `administrativeUnits`; members are users (by UPN) or groups (by displayName). */
function parseAdministrativeUnits(
  raw: unknown[],
  idByUpn: Map<string, string>,
  groupIdByName: Map<string, string>,
  takenIds: Set<string>,
  problems: string[],
): AdministrativeUnit[] {
  const out: AdministrativeUnit[] = [];
  const names = new Set<string>();
  raw.forEach((item, index) => {
    const label = entryLabel('administrativeUnits', index, item);
    const r = administrativeUnitSchema.safeParse(item);
    if (!r.success) {
      problems.push(...formatIssues(label, r.error.issues));
      return;
    }
    const id = r.data.id ?? administrativeUnitIdFromName(r.data.displayName);
    const nameKey = r.data.displayName.toLowerCase();
    if (names.has(nameKey)) problems.push(`${label}: duplicate displayName (role scopes refer to administrative units by name)`);
    names.add(nameKey);
    if (takenIds.has(id)) problems.push(`${label}: duplicate id ${id}`);
    takenIds.add(id);
    const memberIds: string[] = [];
    r.data.members.forEach((ref, i) => {
      const memberId = idByUpn.get(ref.toLowerCase()) ?? groupIdByName.get(ref.toLowerCase());
      if (memberId === undefined) problems.push(`${label}: members[${i}] "${ref}" is neither a user's UPN nor a group's displayName in the seed`);
      else if (!memberIds.includes(memberId)) memberIds.push(memberId);
    });
    out.push({
      id,
      displayName: r.data.displayName,
      description: r.data.description ?? null,
      isMemberManagementRestricted: r.data.isMemberManagementRestricted,
      memberIds,
    });
  });
  return out;
}

interface RoleReferences {
  /** Lower-cased custom role displayName or id → id. */
  customRoles: Map<string, string>;
  /** Lower-cased AU displayName or id → id. */
  administrativeUnits: Map<string, string>;
}

function roleReferences(customRoles: CustomRoleDefinition[], units: AdministrativeUnit[]): RoleReferences {
  const custom = new Map<string, string>();
  for (const r of customRoles) {
    custom.set(r.displayName.toLowerCase(), r.id);
    custom.set(r.id, r.id);
  }
  const aus = new Map<string, string>();
  for (const au of units) {
    aus.set(au.displayName.toLowerCase(), au.id);
    aus.set(au.id, au.id);
  }
  return { customRoles: custom, administrativeUnits: aus };
}

const AU_SCOPE_PREFIX = '/administrativeunits/';

/** Resolves a principal's `directoryRoles` entries into assignments (duplicates dropped). */
function resolveRoleEntries(
  label: string,
  principalId: string,
  entries: SeedRoleEntry[],
  refs: RoleReferences,
  problems: string[],
): DirectoryRoleAssignment[] {
  const out: DirectoryRoleAssignment[] = [];
  entries.forEach((entry, i) => {
    const where = `${label}: directoryRoles[${i}]`;
    const lower = entry.role.toLowerCase();
    // A built-in name wins over a custom role's name (the seed refuses such clashes anyway);
    // a GUID is a custom role's id when one has it, otherwise a built-in template id.
    const builtIn = resolveDirectoryRole(entry.role);
    const roleDefinitionId = (builtIn !== null && !refs.customRoles.has(builtIn) ? builtIn : null) ?? refs.customRoles.get(lower) ?? null;
    if (roleDefinitionId === null) {
      problems.push(`${where} "${entry.role}" is not a known built-in role name or custom role (give its template id instead)`);
      return;
    }
    let directoryScopeId: string;
    if (entry.scope === '/') directoryScopeId = '/';
    else if (entry.scope.toLowerCase().startsWith(AU_SCOPE_PREFIX) && entry.scope.length > AU_SCOPE_PREFIX.length) {
      const ref = entry.scope.slice(AU_SCOPE_PREFIX.length);
      const auId = refs.administrativeUnits.get(ref.toLowerCase());
      if (auId === undefined) {
        problems.push(`${where}: scope "${entry.scope}": no administrative unit "${ref}" in the seed`);
        return;
      }
      directoryScopeId = `/administrativeUnits/${auId}`;
    } else {
      problems.push(`${where}: scope "${entry.scope}" must be "/" or "/administrativeUnits/<displayName>"`);
      return;
    }
    const a: DirectoryRoleAssignment = { principalId, roleDefinitionId, directoryScopeId, kind: entry.assignment };
    const dup = out.some((b) => b.roleDefinitionId === a.roleDefinitionId && b.directoryScopeId === a.directoryScopeId && b.kind === a.kind);
    if (!dup) out.push(a);
  });
  return out;
}

/**
 * Loads a seed from a JSON file path, or from an already-parsed object.
 * @throws SeedError with a message naming the file and every bad entry
 */
export async function loadSeed(pathOrObject: string | object): Promise<Directory> {
  if (typeof pathOrObject !== 'string') return parseSeed(pathOrObject);
  let text: string;
  try {
    text = await readFile(pathOrObject, 'utf8');
  } catch (err) {
    throw new SeedError(`cannot read seed file ${pathOrObject}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (err) {
    throw new SeedError(`seed file ${pathOrObject} is not valid JSON: ${(err as Error).message}`);
  }
  return parseSeed(raw, pathOrObject);
}
