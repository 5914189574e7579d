/**
 * Endpoint templates: every id-like segment of the paths the broker calls becomes `{id}`, the
 * query goes, and the words of the path stay, so metric labels and span names stay few and name
 * nobody.
 */
import { describe, expect, it } from 'vitest';
import { graphEndpointTemplate } from '@/lib/graph/endpoint-template';

describe('graphEndpointTemplate', () => {
  it.each([
    ['https://graph.microsoft.com/v1.0/users/4f1c2a9e-0000-4000-8000-00000000abcd/authentication/temporaryAccessPassMethods', '/users/{id}/authentication/temporaryAccessPassMethods'],
    ['https://localhost:8443/graph/v1.0/users/rita.report%40contoso.com?$select=id,accountEnabled', '/users/{id}'],
    ['https://graph.microsoft.com/beta/users/4f1c2a9e-0000-4000-8000-00000000abcd/authentication/methods/2bc1a4f0-0000-4000-8000-000000000001', '/beta/users/{id}/authentication/methods/{id}'],
    ['https://graph.microsoft.com/v1.0/$batch', '/$batch'],
    ['/users/max@contoso.com/sendMail', '/users/{id}/sendMail'],
    ["/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/appRoleAssignedTo", '/servicePrincipals(appId={id})/appRoleAssignedTo'],
    ["/users('4f1c2a9e-0000-4000-8000-00000000abcd')/manager", '/users/{id}/manager'],
    ['/users/delta()?$deltatoken=abc123', '/users/delta'],
    ['/users/microsoft.graph.delta', '/users/delta'],
    ['/directoryObjects/microsoft.graph.getByIds()', '/directoryObjects/microsoft.graph.getByIds()'],
    ['/users/4f1c2a9e/transitiveMemberOf/microsoft.graph.group', '/users/{id}/transitiveMemberOf/microsoft.graph.group'],
    ['/roleManagement/directory/roleAssignments?$filter=principalId eq 1', '/roleManagement/directory/roleAssignments'],
    ['/auditLogs/signIns/123456', '/auditLogs/signIns/{id}'],
  ])('%s → %s', (url, template) => {
    expect(graphEndpointTemplate(url)).toBe(template);
  });
});
