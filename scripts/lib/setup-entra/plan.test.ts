/**
 * The setup plan, exhaustively: an empty tenant gets the full plan in execution order, a tenant
 * where everything is in place gets none, and each single drift gets exactly the action that
 * fixes it (extra permissions are warnings unless pruning).
 */
import { describe, expect, it } from 'vitest';
import { BROKER_PERMISSION_NEEDS } from '@/lib/core/graph-permission-needs';
import { API_APP_ROLES, getBrokerPermissions, type ApiRoleValue, type DesiredConfig } from '@/scripts/lib/setup-entra/desired';
import { isCertificateInPlace, planSetup, PlanError, type Action } from '@/scripts/lib/setup-entra/plan';
import { GRAPH_APP_ID, type ApplicationState, type CertificateInfo, type KeyCredentialState, type TenantState } from '@/scripts/lib/setup-entra/state';
import { blankApplication } from '@/scripts/lib/setup-entra/test-support';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

/** Fixture ids for Graph's catalogue: the planner must take whatever the tenant says. */
const GRAPH_PERMISSIONS = [...BROKER_PERMISSION_NEEDS.map((n) => n.least), 'Mail.Send', 'Directory.Read.All', 'UserAuthenticationMethod.ReadWrite.All'];
const graphRoleId = (name: string) => `10000000-0000-0000-0000-${String(GRAPH_PERMISSIONS.indexOf(name)).padStart(12, '0')}`;
const GRAPH_SP = 'graph-sp';

const IDS = { api: 'aaaaaaaa-0000-0000-0000-000000000001', portal: 'aaaaaaaa-0000-0000-0000-000000000002', broker: 'aaaaaaaa-0000-0000-0000-000000000003' };
const SCOPE_ID = 'bbbbbbbb-0000-0000-0000-000000000001';
const ROLE_IDS: Record<ApiRoleValue, string> = {
  'TapBroker.Approver': 'cccccccc-0000-0000-0000-000000000001',
  'TapBroker.Auditor': 'cccccccc-0000-0000-0000-000000000002',
  'TapBroker.Admin': 'cccccccc-0000-0000-0000-000000000003',
};
const NEW_IDS = {
  scope: 'dddddddd-0000-0000-0000-000000000001',
  roles: {
    'TapBroker.Approver': 'dddddddd-0000-0000-0000-000000000011',
    'TapBroker.Auditor': 'dddddddd-0000-0000-0000-000000000012',
    'TapBroker.Admin': 'dddddddd-0000-0000-0000-000000000013',
  } as Record<ApiRoleValue, string>,
};

function certificate(thumbprintByte: string, notAfter: Date): CertificateInfo {
  return {
    subject: 'CN=TAP Broker service',
    thumbprint: thumbprintByte.repeat(20).toUpperCase(),
    customKeyIdentifier: Buffer.from(thumbprintByte.repeat(20), 'hex').toString('base64'),
    derBase64: `der-${thumbprintByte}`,
    notBefore: at(-30),
    notAfter,
  };
}
const FILE_CERT = certificate('aa', at(300));
const CANDIDATE = certificate('bb', at(365));

function keyCredential(cert: CertificateInfo, keyId: string, endDateTime = cert.notAfter): KeyCredentialState {
  return {
    keyId,
    type: 'AsymmetricX509Cert',
    usage: 'Verify',
    displayName: cert.subject,
    customKeyIdentifier: cert.customKeyIdentifier,
    startDateTime: cert.notBefore.toISOString(),
    endDateTime: endDateTime.toISOString(),
    key: cert.derBase64,
  };
}

const ALICE = { id: 'eeeeeeee-0000-0000-0000-000000000001', type: 'User' as const, label: 'alice@contoso.example' };

function desired(overrides: Partial<DesiredConfig> = {}): DesiredConfig {
  return {
    names: { api: 'TAP Broker API', portal: 'TAP Broker portal', broker: 'TAP Broker service' },
    portalUrl: 'https://tap.contoso.example',
    authorityHost: 'https://login.microsoftonline.com',
    tenantId: 'ffffffff-0000-0000-0000-000000000001',
    graphBaseUrl: 'https://graph.microsoft.com',
    certificatePath: 'secrets/broker.pem',
    mailSender: null,
    brokerPermissions: getBrokerPermissions(null),
    assignments: [{ principal: ALICE, role: 'TapBroker.Approver' }],
    prune: false,
    newIds: NEW_IDS,
    candidateCertificate: CANDIDATE,
    now: NOW,
    ...overrides,
  };
}

const graphCatalogue = {
  id: GRAPH_SP,
  appRoles: GRAPH_PERMISSIONS.map((name) => ({ id: graphRoleId(name), value: name, displayName: name, description: null, allowedMemberTypes: ['Application'], isEnabled: true })),
  oauth2PermissionScopes: [],
};

function emptyState(): TenantState {
  return {
    graph: graphCatalogue,
    apps: { api: { application: null, servicePrincipal: null }, portal: { application: null, servicePrincipal: null }, broker: { application: null, servicePrincipal: null } },
    brokerAssignments: [],
    apiAssignedTo: [],
    portalGrants: [],
    envFile: {},
    certificateFile: null,
  };
}

/** A tenant and .env where everything `desired()` asks for is in place. */
function completeState(config: DesiredConfig = desired()): TenantState {
  const api = blankApplication(IDS.api, 'TAP Broker API', {
    identifierUris: [`api://${IDS.api}`],
    api: {
      requestedAccessTokenVersion: 2,
      oauth2PermissionScopes: [
        {
          id: SCOPE_ID,
          value: 'access_as_user',
          type: 'User',
          isEnabled: true,
          adminConsentDisplayName: 'x',
          adminConsentDescription: 'x',
          userConsentDisplayName: null,
          userConsentDescription: null,
        },
      ],
      preAuthorizedApplications: [{ appId: IDS.portal, delegatedPermissionIds: [SCOPE_ID] }],
    },
    appRoles: API_APP_ROLES.map((r) => ({ id: ROLE_IDS[r.value], value: r.value, displayName: r.displayName, description: r.description, allowedMemberTypes: ['User'], isEnabled: true })),
  });
  const portal = blankApplication(IDS.portal, 'TAP Broker portal', {
    spa: { redirectUris: ['https://tap.contoso.example'] },
    requiredResourceAccess: [{ resourceAppId: IDS.api, resourceAccess: [{ id: SCOPE_ID, type: 'Scope' }] }],
  });
  const broker = blankApplication(IDS.broker, 'TAP Broker service', {
    requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: config.brokerPermissions.map((name) => ({ id: graphRoleId(name), type: 'Role' })) }],
    keyCredentials: [keyCredential(FILE_CERT, 'key-1')],
  });
  const sp = (app: ApplicationState) => ({ id: `sp-${app.appId}`, appId: app.appId, displayName: app.displayName });
  return {
    graph: graphCatalogue,
    apps: {
      api: { application: api, servicePrincipal: sp(api) },
      portal: { application: portal, servicePrincipal: sp(portal) },
      broker: { application: broker, servicePrincipal: sp(broker) },
    },
    brokerAssignments: config.brokerPermissions.map((name, i) => ({ id: `assign-${i}`, principalId: `sp-${IDS.broker}`, principalType: 'ServicePrincipal', resourceId: GRAPH_SP, appRoleId: graphRoleId(name) })),
    apiAssignedTo: [{ id: 'alice-approver', principalId: ALICE.id, principalType: 'User', resourceId: `sp-${IDS.api}`, appRoleId: ROLE_IDS['TapBroker.Approver'] }],
    portalGrants: [{ id: 'grant-1', clientId: `sp-${IDS.portal}`, consentType: 'AllPrincipals', principalId: null, resourceId: `sp-${IDS.api}`, scope: 'access_as_user' }],
    envFile: {
      ENTRA_AUTHORITY_HOST: 'https://login.microsoftonline.com',
      ENTRA_TENANT_ID: 'ffffffff-0000-0000-0000-000000000001',
      PORTAL_CLIENT_ID: IDS.portal,
      API_CLIENT_ID: IDS.api,
      API_SCOPE: `api://${IDS.api}/access_as_user`,
      BROKER_CLIENT_ID: IDS.broker,
      BROKER_CERTIFICATE_PATH: 'secrets/broker.pem',
      GRAPH_BASE_URL: 'https://graph.microsoft.com',
      PORTAL_URL: 'https://tap.contoso.example',
      ...(config.mailSender === null ? {} : { MAIL_SENDER: config.mailSender }),
    },
    certificateFile: FILE_CERT,
  };
}

/** completeState() with one change made by `drift` on a copy. */
function drifted(drift: (state: TenantState) => void, config: DesiredConfig = desired()): TenantState {
  const state = structuredClone(completeState(config));
  drift(state);
  return state;
}

function mustApp(state: TenantState, key: 'api' | 'portal' | 'broker'): ApplicationState {
  const app = state.apps[key].application;
  if (app === null) throw new Error('fixture');
  return app;
}

const kinds = (actions: Action[]) => actions.map((a) => a.kind);
const lines = (actions: Action[]) => actions.map((a) => a.description);

describe('planSetup: the two ends', () => {
  it('an empty tenant gets the full plan, in execution order', () => {
    const { actions, warnings } = planSetup(emptyState(), desired());
    expect(warnings).toEqual([]);
    const permissions = getBrokerPermissions(null);
    expect(kinds(actions)).toEqual([
      'create-application',
      'create-application',
      'create-application',
      'set-identifier-uri',
      'set-token-version',
      'put-scope',
      'put-app-roles',
      'pre-authorize-portal',
      'set-redirect-uris',
      'require-api-scope',
      'set-graph-permissions',
      'create-service-principal',
      'create-service-principal',
      'create-service-principal',
      ...permissions.map(() => 'grant-graph-permission'),
      'assign-api-role',
      'grant-portal-consent',
      'add-certificate',
      'write-env',
    ]);
    expect(lines(actions).slice(0, 5)).toEqual([
      'create application TAP Broker API',
      'create application TAP Broker portal',
      'create application TAP Broker service',
      'set Application ID URI api://<its client id> on TAP Broker API',
      'set requestedAccessTokenVersion 2 on TAP Broker API',
    ]);
    expect(lines(actions)).toContain('grant Microsoft Graph application permission RoleManagement.Read.Directory to TAP Broker service (admin consent)');
    expect(lines(actions)).toContain(`add certificate CN=TAP Broker service (thumbprint ${'BB'.repeat(20)}, valid until ${at(365).toISOString().slice(0, 10)}) to TAP Broker service; key written to secrets/broker.pem`);
    expect(lines(actions).at(-1)).toBe(
      'write .env: ENTRA_AUTHORITY_HOST, ENTRA_TENANT_ID, PORTAL_CLIENT_ID, API_CLIENT_ID, API_SCOPE, BROKER_CLIENT_ID, BROKER_CERTIFICATE_PATH, GRAPH_BASE_URL, PORTAL_URL',
    );
    // New objects get the caller's ids; Graph's permission ids come from the tenant's catalogue.
    expect(actions.find((a) => a.kind === 'put-scope')).toMatchObject({ scopeId: NEW_IDS.scope });
    expect(actions.find((a) => a.kind === 'put-app-roles')).toMatchObject({ roles: API_APP_ROLES.map((r) => ({ value: r.value, id: NEW_IDS.roles[r.value] })) });
    expect(actions.find((a) => a.kind === 'set-graph-permissions')).toMatchObject({ add: permissions.map((name) => ({ name, id: graphRoleId(name) })), remove: [] });
  });

  it('a tenant where everything is in place gets no action and no warning', () => {
    expect(planSetup(completeState(), desired())).toEqual({ actions: [], warnings: [] });
  });

  it('is pure: the state is not changed and the same input gives the same plan', () => {
    const state = emptyState();
    const before = structuredClone(state);
    const first = planSetup(state, desired());
    expect(planSetup(state, desired())).toEqual(first);
    expect(state).toEqual(before);
  });

  it('a permission Graph does not offer in this tenant stops the plan', () => {
    expect(() => planSetup(emptyState(), desired({ brokerPermissions: ['No.Such.Permission'] }))).toThrow(PlanError);
  });
});

describe('planSetup: each drift gets exactly its fix', () => {
  it('missing admin consent for one permission', () => {
    const state = drifted((s) => {
      s.brokerAssignments = s.brokerAssignments.filter((a) => a.appRoleId !== graphRoleId('RoleManagement.Read.Directory'));
    });
    const { actions, warnings } = planSetup(state, desired());
    expect(lines(actions)).toEqual(['grant Microsoft Graph application permission RoleManagement.Read.Directory to TAP Broker service (admin consent)']);
    expect(actions[0]).toMatchObject({ permission: { name: 'RoleManagement.Read.Directory', id: graphRoleId('RoleManagement.Read.Directory') } });
    expect(warnings).toEqual([]);
  });

  it('a permission the registration does not request', () => {
    const state = drifted((s) => {
      const graph = mustApp(s, 'broker').requiredResourceAccess[0];
      if (graph !== undefined) graph.resourceAccess = graph.resourceAccess.filter((a) => a.id !== graphRoleId('GroupMember.Read.All'));
    });
    const { actions } = planSetup(state, desired());
    expect(lines(actions)).toEqual(['request Microsoft Graph application permission GroupMember.Read.All on TAP Broker service']);
  });

  it('v1 access tokens', () => {
    const { actions } = planSetup(drifted((s) => (mustApp(s, 'api').api.requestedAccessTokenVersion = 1)), desired());
    expect(lines(actions)).toEqual(['set requestedAccessTokenVersion 2 on TAP Broker API']);
  });

  it('no Application ID URI', () => {
    const { actions } = planSetup(drifted((s) => (mustApp(s, 'api').identifierUris = [])), desired());
    expect(lines(actions)).toEqual([`set Application ID URI api://${IDS.api} on TAP Broker API`]);
  });

  it('a missing SPA redirect URI', () => {
    const { actions, warnings } = planSetup(drifted((s) => (mustApp(s, 'portal').spa.redirectUris = [])), desired());
    expect(lines(actions)).toEqual(['add SPA redirect URI https://tap.contoso.example on TAP Broker portal']);
    expect(warnings).toEqual([]);
  });

  it('a wrong SPA redirect URI: the right one is added, the wrong one kept with a warning, or removed with prune', () => {
    const state = drifted((s) => (mustApp(s, 'portal').spa.redirectUris = ['https://old.contoso.example']));
    const kept = planSetup(state, desired());
    expect(kept.actions).toMatchObject([{ kind: 'set-redirect-uris', add: 'https://tap.contoso.example', remove: [] }]);
    expect(kept.warnings).toEqual(['TAP Broker portal also has SPA redirect URI https://old.contoso.example (kept; --prune removes it).']);
    const pruned = planSetup(state, desired({ prune: true }));
    expect(lines(pruned.actions)).toEqual(['add SPA redirect URI https://tap.contoso.example and remove SPA redirect URI https://old.contoso.example on TAP Broker portal']);
    expect(pruned.warnings).toEqual([]);
  });

  it('the redirect URI is the portal URL’s origin (the portal’s MSAL sends the bare origin)', () => {
    const { actions } = planSetup(completeState(), desired({ portalUrl: 'https://tap.contoso.example/broker' }));
    expect(kinds(actions)).toEqual(['write-env']);
    expect(lines(actions)).toEqual(['write .env: PORTAL_URL']);
  });

  it('a missing app role: only that role is defined, with a new id', () => {
    const state = drifted((s) => (mustApp(s, 'api').appRoles = mustApp(s, 'api').appRoles.filter((r) => r.value !== 'TapBroker.Auditor')));
    const { actions } = planSetup(state, desired());
    expect(lines(actions)).toEqual(['define app role TapBroker.Auditor (for users) on TAP Broker API']);
    expect(actions[0]).toMatchObject({ roles: [{ value: 'TapBroker.Auditor', id: NEW_IDS.roles['TapBroker.Auditor'] }] });
  });

  it('a disabled app role is enabled again under its own id', () => {
    const state = drifted((s) => {
      const role = mustApp(s, 'api').appRoles.find((r) => r.value === 'TapBroker.Admin');
      if (role !== undefined) role.isEnabled = false;
    });
    const { actions } = planSetup(state, desired());
    expect(actions).toMatchObject([{ kind: 'put-app-roles', roles: [{ value: 'TapBroker.Admin', id: ROLE_IDS['TapBroker.Admin'] }] }]);
  });

  it('a scope only administrators may consent to is fixed under its own id', () => {
    const state = drifted((s) => {
      const scope = mustApp(s, 'api').api.oauth2PermissionScopes[0];
      if (scope !== undefined) scope.type = 'Admin';
    });
    const { actions } = planSetup(state, desired());
    expect(actions).toMatchObject([{ kind: 'put-scope', scopeId: SCOPE_ID, description: 'expose scope access_as_user (users may consent) on TAP Broker API' }]);
  });

  it('a missing scope: exposed anew, and the pre-authorization and the portal’s request name the new one', () => {
    const state = drifted((s) => (mustApp(s, 'api').api.oauth2PermissionScopes = []));
    const { actions } = planSetup(state, desired());
    expect(actions).toMatchObject([
      { kind: 'put-scope', scopeId: NEW_IDS.scope },
      { kind: 'pre-authorize-portal', scopeId: NEW_IDS.scope },
      { kind: 'require-api-scope', scopeId: NEW_IDS.scope },
    ]);
  });

  it('the portal not pre-authorized', () => {
    const { actions } = planSetup(drifted((s) => (mustApp(s, 'api').api.preAuthorizedApplications = [])), desired());
    expect(lines(actions)).toEqual(['pre-authorize TAP Broker portal for access_as_user on TAP Broker API']);
  });

  it('the portal not requesting the API scope', () => {
    const { actions } = planSetup(drifted((s) => (mustApp(s, 'portal').requiredResourceAccess = [])), desired());
    expect(lines(actions)).toEqual(['request delegated permission access_as_user of TAP Broker API on TAP Broker portal']);
  });

  it('a missing service principal', () => {
    const { actions } = planSetup(drifted((s) => (s.apps.portal.servicePrincipal = null)), desired());
    // The consent grant belongs to the portal's service principal, so it goes with it.
    expect(lines(actions)).toEqual(['create service principal for TAP Broker portal', 'grant TAP Broker portal access_as_user on TAP Broker API for all users (admin consent)']);
  });

  it('a missing consent grant', () => {
    const { actions } = planSetup(drifted((s) => (s.portalGrants = [])), desired());
    expect(actions).toMatchObject([{ kind: 'grant-portal-consent', existingGrantId: null, scope: 'access_as_user', description: 'grant TAP Broker portal access_as_user on TAP Broker API for all users (admin consent)' }]);
  });

  it('a consent grant without the scope is extended, its other scopes kept', () => {
    const state = drifted((s) => {
      const grant = s.portalGrants[0];
      if (grant !== undefined) grant.scope = 'other_scope';
    });
    expect(planSetup(state, desired()).actions).toMatchObject([{ kind: 'grant-portal-consent', existingGrantId: 'grant-1', scope: 'other_scope access_as_user' }]);
  });

  it('a missing role assignment', () => {
    const { actions } = planSetup(drifted((s) => (s.apiAssignedTo = [])), desired());
    expect(actions).toMatchObject([{ kind: 'assign-api-role', appRoleId: ROLE_IDS['TapBroker.Approver'], description: 'assign TapBroker.Approver on TAP Broker API to user alice@contoso.example' }]);
  });

  it('a group assignment is planned by group id', () => {
    const group = { id: '99999999-0000-0000-0000-000000000001', type: 'Group' as const, label: '99999999-0000-0000-0000-000000000001' };
    const config = desired({ assignments: [...desired().assignments, { principal: group, role: 'TapBroker.Auditor' }] });
    expect(lines(planSetup(completeState(config), config).actions)).toEqual([`assign TapBroker.Auditor on TAP Broker API to group ${group.id}`]);
  });

  it('an expired certificate: a new one is added and the expired one dropped', () => {
    const expired = certificate('aa', at(-1));
    const state = drifted((s) => {
      s.certificateFile = expired;
      mustApp(s, 'broker').keyCredentials = [keyCredential(expired, 'key-1')];
    });
    const { actions } = planSetup(state, desired());
    expect(actions).toMatchObject([{ kind: 'add-certificate', certificate: CANDIDATE, dropKeyIds: ['key-1'] }]);
    expect(lines(actions)[0]).toMatch(/ to TAP Broker service and remove 1 expired one; key written to secrets\/broker\.pem$/);
  });

  it('a certificate expiring within 30 days: a new one is added, the old one kept until it expires', () => {
    const soon = certificate('aa', at(20));
    const state = drifted((s) => {
      s.certificateFile = soon;
      mustApp(s, 'broker').keyCredentials = [keyCredential(soon, 'key-1')];
    });
    expect(planSetup(state, desired()).actions).toMatchObject([{ kind: 'add-certificate', dropKeyIds: [] }]);
  });

  it('no certificate file', () => {
    expect(kinds(planSetup(drifted((s) => (s.certificateFile = null)), desired()).actions)).toEqual(['add-certificate']);
  });

  it('a certificate file the broker does not hold', () => {
    expect(kinds(planSetup(drifted((s) => (mustApp(s, 'broker').keyCredentials = [])), desired()).actions)).toEqual(['add-certificate']);
  });

  it('an extra permission is a warning, not an action', () => {
    const state = drifted((s) => {
      s.brokerAssignments.push({ id: 'extra', principalId: `sp-${IDS.broker}`, principalType: 'ServicePrincipal', resourceId: GRAPH_SP, appRoleId: graphRoleId('Directory.Read.All') });
      mustApp(s, 'broker').requiredResourceAccess[0]?.resourceAccess.push({ id: graphRoleId('Directory.Read.All'), type: 'Role' });
    });
    expect(planSetup(state, desired())).toEqual({
      actions: [],
      warnings: ['TAP Broker service requests or holds Microsoft Graph application permission no feature needs: Directory.Read.All (kept; --prune removes it).'],
    });
  });

  it('with prune, an extra permission is no longer requested and its consent revoked', () => {
    const state = drifted((s) => {
      s.brokerAssignments.push({ id: 'extra', principalId: `sp-${IDS.broker}`, principalType: 'ServicePrincipal', resourceId: GRAPH_SP, appRoleId: graphRoleId('Directory.Read.All') });
      mustApp(s, 'broker').requiredResourceAccess[0]?.resourceAccess.push({ id: graphRoleId('Directory.Read.All'), type: 'Role' });
    });
    const { actions, warnings } = planSetup(state, desired({ prune: true }));
    expect(warnings).toEqual([]);
    expect(lines(actions)).toEqual([
      'stop requesting Directory.Read.All on TAP Broker service',
      'revoke Microsoft Graph application permission Directory.Read.All from TAP Broker service (--prune)',
    ]);
    expect(actions[1]).toMatchObject({ kind: 'revoke-graph-permission', assignmentId: 'extra' });
  });

  it('a mail sender adds Mail.Send (requested and consented) and MAIL_SENDER', () => {
    const config = desired({ mailSender: 'tap@contoso.example', brokerPermissions: getBrokerPermissions('tap@contoso.example') });
    const { actions } = planSetup(completeState(), config);
    expect(lines(actions)).toEqual([
      'request Microsoft Graph application permission Mail.Send on TAP Broker service',
      'grant Microsoft Graph application permission Mail.Send to TAP Broker service (admin consent)',
      'write .env: MAIL_SENDER',
    ]);
    expect(planSetup(completeState(config), config).actions).toEqual([]);
  });

  it('a .env value that differs is rewritten, alone', () => {
    const { actions } = planSetup(drifted((s) => (s.envFile['BROKER_CLIENT_ID'] = IDS.api)), desired());
    expect(actions).toMatchObject([{ kind: 'write-env', keys: ['BROKER_CLIENT_ID'], remove: [] }]);
  });

  it('a client secret in .env is removed: lib/env.ts refuses a secret beside the certificate', () => {
    const { actions } = planSetup(drifted((s) => (s.envFile['BROKER_CLIENT_SECRET'] = 'x')), desired());
    expect(actions).toMatchObject([{ kind: 'write-env', keys: [], remove: ['BROKER_CLIENT_SECRET'] }]);
    expect(lines(actions)).toEqual(['write .env: remove BROKER_CLIENT_SECRET (the broker signs in with its certificate)']);
  });
});

describe('isCertificateInPlace', () => {
  const registered = [keyCredential(FILE_CERT, 'k')];
  it('holds for a registered certificate valid for more than 30 days', () => {
    expect(isCertificateInPlace(FILE_CERT, registered, NOW)).toBe(true);
  });
  it('matches on the key when Graph has no customKeyIdentifier', () => {
    expect(isCertificateInPlace(FILE_CERT, [{ ...keyCredential(FILE_CERT, 'k'), customKeyIdentifier: null }], NOW)).toBe(true);
  });
  it('fails without a file, unregistered, at 30 days or less, or when Graph’s record ends sooner', () => {
    expect(isCertificateInPlace(null, registered, NOW)).toBe(false);
    expect(isCertificateInPlace(FILE_CERT, [keyCredential(CANDIDATE, 'other')], NOW)).toBe(false);
    const thirty = certificate('aa', at(30));
    expect(isCertificateInPlace(thirty, [keyCredential(thirty, 'k')], NOW)).toBe(false);
    expect(isCertificateInPlace(FILE_CERT, [keyCredential(FILE_CERT, 'k', at(10))], NOW)).toBe(false);
  });
});
