/**
 * The PATCH bodies setup:entra sends: Graph replaces a collection with what it receives, so each
 * body must carry every element the registration keeps beside the one it adds or fixes. And the
 * role a 403 asks for, per action.
 */
import { describe, expect, it } from 'vitest';
import { getApplicationPatch, getDisableFirstPatch, getRequiredRole } from '@/scripts/lib/setup-entra/execute-plan';
import type { Action } from '@/scripts/lib/setup-entra/plan';
import { GRAPH_APP_ID, type ApplicationState } from '@/scripts/lib/setup-entra/state';

const API_APP_ID = 'aaaaaaaa-0000-0000-0000-000000000001';
const PORTAL_APP_ID = 'aaaaaaaa-0000-0000-0000-000000000002';
const OTHER_SCOPE = { id: 's-other', value: 'other', type: 'Admin', isEnabled: true, adminConsentDisplayName: 'o', adminConsentDescription: 'o', userConsentDisplayName: null, userConsentDescription: null };
const OTHER_ROLE = { id: 'r-other', value: 'Other.Role', displayName: 'o', description: 'o', allowedMemberTypes: ['Application'], isEnabled: true };

const app: ApplicationState = {
  id: 'obj',
  appId: API_APP_ID,
  displayName: 'x',
  identifierUris: ['https://contoso.example/api'],
  api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [OTHER_SCOPE], preAuthorizedApplications: [{ appId: 'other-client', delegatedPermissionIds: ['s-other'] }] },
  appRoles: [OTHER_ROLE],
  spa: { redirectUris: ['https://old.example'] },
  requiredResourceAccess: [{ resourceAppId: 'other-resource', resourceAccess: [{ id: 'x', type: 'Scope' }] }, { resourceAppId: GRAPH_APP_ID, resourceAccess: [{ id: 'g-keep', type: 'Role' }, { id: 'g-drop', type: 'Role' }, { id: 'g-scope', type: 'Scope' }] }],
  keyCredentials: [],
};

const patch = (action: Action) => getApplicationPatch(action, app, PORTAL_APP_ID, API_APP_ID);

describe('getApplicationPatch keeps what the registration already has', () => {
  it('identifier URIs', () => {
    expect(patch({ kind: 'set-identifier-uri', description: '' })).toEqual({ identifierUris: ['https://contoso.example/api', `api://${API_APP_ID}`] });
  });

  it('the whole api object with the token version', () => {
    expect(patch({ kind: 'set-token-version', description: '' })).toEqual({ api: { ...app.api, requestedAccessTokenVersion: 2 } });
  });

  it('scopes', () => {
    const body = patch({ kind: 'put-scope', scopeId: 's-new', description: '' });
    expect(body.api?.oauth2PermissionScopes).toEqual([OTHER_SCOPE, expect.objectContaining({ id: 's-new', value: 'access_as_user', type: 'User', isEnabled: true })]);
    expect(body.api?.preAuthorizedApplications).toEqual(app.api.preAuthorizedApplications);
  });

  it('app roles', () => {
    const body = patch({ kind: 'put-app-roles', roles: [{ id: 'r-1', value: 'TapBroker.Auditor', displayName: 'a', description: 'a' }], description: '' });
    expect(body.appRoles).toEqual([OTHER_ROLE, { id: 'r-1', value: 'TapBroker.Auditor', displayName: 'a', description: 'a', allowedMemberTypes: ['User'], isEnabled: true }]);
  });

  it('pre-authorized clients', () => {
    expect(patch({ kind: 'pre-authorize-portal', scopeId: 's-new', description: '' }).api?.preAuthorizedApplications).toEqual([
      { appId: 'other-client', delegatedPermissionIds: ['s-other'] },
      { appId: PORTAL_APP_ID, delegatedPermissionIds: ['s-new'] },
    ]);
  });

  it('redirect URIs, unless told to remove them', () => {
    expect(patch({ kind: 'set-redirect-uris', add: 'https://tap.example', remove: [], description: '' })).toEqual({ spa: { redirectUris: ['https://old.example', 'https://tap.example'] } });
    expect(patch({ kind: 'set-redirect-uris', add: null, remove: ['https://old.example'], description: '' })).toEqual({ spa: { redirectUris: [] } });
  });

  it('required resource access for other resources and other Graph entries', () => {
    expect(patch({ kind: 'require-api-scope', scopeId: 's-new', description: '' }).requiredResourceAccess).toEqual([...app.requiredResourceAccess, { resourceAppId: API_APP_ID, resourceAccess: [{ id: 's-new', type: 'Scope' }] }]);
    const graph = patch({ kind: 'set-graph-permissions', add: [{ name: 'A', id: 'g-add' }, { name: 'K', id: 'g-keep' }], remove: [{ name: 'D', id: 'g-drop' }], description: '' });
    expect(graph.requiredResourceAccess).toEqual([
      app.requiredResourceAccess[0],
      { resourceAppId: GRAPH_APP_ID, resourceAccess: [{ id: 'g-keep', type: 'Role' }, { id: 'g-scope', type: 'Scope' }, { id: 'g-add', type: 'Role' }] },
    ]);
  });

  it('refuses actions that are not application properties', () => {
    expect(() => patch({ kind: 'create-service-principal', app: 'api', description: '' })).toThrow(/not an application property/);
  });
});

describe('getDisableFirstPatch', () => {
  it('disables an enabled scope or app role before it is changed, and only those', () => {
    expect(getDisableFirstPatch({ kind: 'put-scope', scopeId: 's-other', description: '' }, app)).toEqual({ api: { ...app.api, oauth2PermissionScopes: [{ ...OTHER_SCOPE, isEnabled: false }] } });
    const roles = { kind: 'put-app-roles' as const, roles: [{ id: 'r-other', value: 'TapBroker.Admin' as const, displayName: 'a', description: 'a' }], description: '' };
    expect(getDisableFirstPatch(roles, app)).toEqual({ appRoles: [{ ...OTHER_ROLE, isEnabled: false }] });
  });

  it('sends nothing first for a new or an already disabled element', () => {
    expect(getDisableFirstPatch({ kind: 'put-scope', scopeId: 's-new', description: '' }, app)).toBeNull();
    const disabled = { ...app, appRoles: [{ ...OTHER_ROLE, isEnabled: false }] };
    expect(getDisableFirstPatch({ kind: 'put-app-roles', roles: [{ id: 'r-other', value: 'TapBroker.Admin', displayName: 'a', description: 'a' }], description: '' }, disabled)).toBeNull();
    expect(getDisableFirstPatch({ kind: 'set-token-version', description: '' }, app)).toBeNull();
  });
});

describe('getRequiredRole', () => {
  it('admin consent to Graph permissions needs Privileged Role Administrator; everything else Application Administrator', () => {
    expect(getRequiredRole({ kind: 'grant-graph-permission', permission: { name: 'User.Read.All', id: 'x' }, description: '' })).toMatch(/^Privileged Role Administrator/);
    expect(getRequiredRole({ kind: 'create-application', app: 'api', displayName: 'x', description: '' })).toMatch(/^Application Administrator/);
    expect(getRequiredRole(null)).toMatch(/^Application Administrator/);
  });
});
