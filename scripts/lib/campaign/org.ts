/**
 * The campaign's org chart, written as a seed file for the local tenant: `managers` managers under
 * one CEO, each with three direct reports, the first of whom leads two people of their own — so
 * every manager can ask for a direct report (issued at once under the `indirect-only` policy) or
 * for one two levels down (waits for an approver). Beside them: approvers, auditors, an admin and
 * the `tap-broker@` mailbox that notifications are sent as. Apps, tenant and TAP policy come from
 * the demo org, with no authentication contexts: the policy then cannot ask for step-up, which a
 * password-grant token could not prove.
 */
import { writeFile } from 'node:fs/promises';
import demoOrg from '../../../tenant/demo-org.json';
import { userIdFromUpn } from '../../../tenant/seed';

const DOMAIN = 'campaign.contoso.test';
export const CAMPAIGN_PASSWORD = demoOrg.demoAccounts.password;

export interface CampaignManager {
  upn: string;
  directIds: string[];
  /** Two levels down: a request for them waits for an approver. */
  indirectIds: string[];
}

export interface CampaignOrg {
  admin: string;
  auditors: string[];
  approvers: string[];
  managers: CampaignManager[];
  userCount: number;
}

function person(upn: string, displayName: string, manager: string | null, appRoles: string[] = [], enabled = true) {
  return {
    userPrincipalName: upn,
    displayName,
    password: CAMPAIGN_PASSWORD,
    manager,
    jobTitle: null,
    department: 'Campaign',
    accountEnabled: enabled,
    userType: 'Member',
    employeeHireDate: '2020-01-06T08:00:00Z',
    directoryRoles: [],
    appRoles,
  };
}

/** Writes the seed to `seedPath` and returns who is who in it. */
export async function writeCampaignSeed(seedPath: string, managers: number): Promise<CampaignOrg> {
  const ceo = `ceo@${DOMAIN}`;
  const admin = `admin@${DOMAIN}`;
  const auditors = [`auditor1@${DOMAIN}`, `auditor2@${DOMAIN}`];
  const approvers = Array.from({ length: Math.max(2, Math.ceil(managers / 20)) }, (_, i) => `approver${i}@${DOMAIN}`);
  const users = [
    person(ceo, 'Campaign CEO', null),
    person(admin, 'Campaign Admin', ceo, ['TapBroker.Admin']),
    person(`tap-broker@${DOMAIN}`, 'TAP Broker notifications', null, [], false),
    ...auditors.map((upn, i) => person(upn, `Auditor ${i + 1}`, ceo, ['TapBroker.Auditor'])),
    ...approvers.map((upn, i) => person(upn, `Approver ${i}`, ceo, ['TapBroker.Approver'])),
  ];
  const org: CampaignManager[] = [];
  for (let m = 0; m < managers; m++) {
    const upn = `manager${m}@${DOMAIN}`;
    users.push(person(upn, `Manager ${m}`, ceo));
    const directs = [0, 1, 2].map((r) => `report${m}-${r}@${DOMAIN}`);
    directs.forEach((d, r) => users.push(person(d, `Report ${m}-${r}`, upn)));
    const indirects = [0, 1].map((s) => `member${m}-${s}@${DOMAIN}`);
    indirects.forEach((d, s) => users.push(person(d, `Member ${m}-${s}`, directs[0]!)));
    org.push({ upn, directIds: directs.map(userIdFromUpn), indirectIds: indirects.map(userIdFromUpn) });
  }
  const { tenantId, portal, broker, automation, tapPolicy } = demoOrg;
  await writeFile(seedPath, JSON.stringify({ tenantId, portal, broker, automation, tapPolicy, users }));
  return { admin, auditors, approvers, managers: org, userCount: users.length };
}
