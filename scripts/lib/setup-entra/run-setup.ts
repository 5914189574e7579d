/**
 * setup:entra from start to finish, with its I/O passed in (print, stdin, environment, clock) so
 * an end-to-end test can drive it in-process against the local tenant: parse the
 * arguments, read `.env` and the certificate file, sign the administrator in, read the tenant,
 * plan, then print the plan (`--dry-run`) or carry it out. Returns the exit code: 0 done or no
 * change, 1 failure, 2 bad arguments.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { APP_ROLES } from '@/lib/contract/roles';
import { generateCertificate, readCertificateFile } from '@/scripts/lib/setup-entra/certificate';
import { API_APP_ROLES, getBrokerPermissions, type ApiRoleValue, type DesiredConfig } from '@/scripts/lib/setup-entra/desired';
import { parseEnvFile } from '@/scripts/lib/setup-entra/env-file';
import { ActionFailedError, executePlan, getRequiredRole } from '@/scripts/lib/setup-entra/execute-plan';
import { createGraphSession, GraphCallError, type GraphSession } from '@/scripts/lib/setup-entra/graph-session';
import { parseSetupArgs, resolveSettings, USAGE, type SetupSettings } from '@/scripts/lib/setup-entra/options';
import { isCertificateInPlace, planSetup, type Action } from '@/scripts/lib/setup-entra/plan';
import { readTenantState, resolvePrincipals } from '@/scripts/lib/setup-entra/read-state';
import { signInAdministrator, type AdminSession, type SignInIo } from '@/scripts/lib/setup-entra/sign-in';
import type { AppKey, CertificateInfo } from '@/scripts/lib/setup-entra/state';

export interface SetupIo extends SignInIo {
  printError: (line: string) => void;
  now: () => Date;
}

async function readEnvFile(file: string): Promise<Record<string, string>> {
  try {
    return parseEnvFile(await readFile(file, 'utf8'));
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return {};
    throw error;
  }
}

function getNames(prefix: string): Record<AppKey, string> {
  return { api: `${prefix} API`, portal: `${prefix} portal`, broker: `${prefix} service` };
}

function describeFailure(error: unknown, action: Action | null): string[] {
  const cause = error instanceof ActionFailedError ? error.cause : error;
  const lines = [`setup:entra failed${action === null ? '' : ` at: ${action.description}`}`, `  ${cause instanceof Error ? cause.message : String(cause)}`];
  if (cause instanceof GraphCallError && cause.status === 403) {
    lines.push(`  The signed-in account needs the directory role ${getRequiredRole(action)}.`);
    lines.push('  Nothing after this step was changed; run setup:entra again once the role is assigned.');
  }
  return lines;
}

/**
 * Everything after the sign-in: read the tenant, plan, then print the plan (`--dry-run`) or carry
 * it out with `graph`. Returns the exit code (0 done or nothing to change, 1 failure).
 */
export async function applySetup(settings: SetupSettings, io: SetupIo, graph: GraphSession): Promise<number> {
  const envFile = await readEnvFile(settings.envFile);
  const certificateFile = await readCertificateFile(settings.certificatePath);
  const names = getNames(settings.name);
  let action: Action | null = null;
  try {
    const state = await readTenantState(graph, names, envFile, certificateFile);
    const principals = await resolvePrincipals(graph, [...settings.assign.approvers, ...settings.assign.auditors, ...settings.assign.admins]);
    const now = io.now();
    // A key is generated only when the current certificate must be replaced; otherwise the
    // candidate is the current file's certificate, which the plan then leaves alone.
    let candidate: CertificateInfo;
    let certificatePem: string | null = null;
    if (certificateFile !== null && isCertificateInPlace(certificateFile, state.apps.broker.application?.keyCredentials ?? [], now)) {
      candidate = certificateFile;
    } else {
      const generated = await generateCertificate(now, settings.certificateMonths);
      candidate = generated.info;
      certificatePem = generated.pem;
    }
    const roleRefs: [ApiRoleValue, string[]][] = [
      [APP_ROLES.approver, settings.assign.approvers],
      [APP_ROLES.auditor, settings.assign.auditors],
      [APP_ROLES.admin, settings.assign.admins],
    ];
    const desired: DesiredConfig = {
      names,
      portalUrl: settings.portalUrl,
      authorityHost: settings.authorityHost,
      tenantId: settings.tenantId,
      graphBaseUrl: settings.graphBaseUrl,
      certificatePath: settings.certificatePath,
      mailSender: settings.mailSender,
      brokerPermissions: getBrokerPermissions(settings.mailSender),
      assignments: roleRefs.flatMap(([role, refs]) => refs.map((ref) => ({ role, principal: principals.get(ref) ?? { id: ref, type: 'Group' as const, label: ref } }))),
      prune: settings.prune,
      newIds: { scope: randomUUID(), roles: Object.fromEntries(API_APP_ROLES.map((r) => [r.value, randomUUID()])) as Record<ApiRoleValue, string> },
      candidateCertificate: candidate,
      now,
    };
    const { actions, warnings } = planSetup(state, desired);
    for (const warning of warnings) io.print(`warning: ${warning}`);
    if (actions.length === 0) {
      io.print('No change: everything is in place.');
      return 0;
    }
    if (settings.dryRun) {
      io.print(`Plan (dry run: nothing was changed), ${actions.length} action${actions.length === 1 ? '' : 's'}:`);
      for (const a of actions) io.print(`  - ${a.description}`);
      return 0;
    }
    io.print(`Applying ${actions.length} action${actions.length === 1 ? '' : 's'}:`);
    await executePlan(actions, {
      graph,
      state,
      desired,
      envFilePath: settings.envFile,
      certificatePem,
      print: io.print,
    });
    io.print(`Done. ${settings.envFile} holds the portal's Entra settings; run npm run doctor to check them.`);
    return 0;
  } catch (error) {
    if (error instanceof ActionFailedError) action = error.action;
    for (const line of describeFailure(error, action)) io.printError(line);
    return 1;
  }
}

/** Runs setup:entra with `argv` (the arguments after the script name) and returns its exit code. */
export async function runSetup(argv: readonly string[], io: SetupIo): Promise<number> {
  const parsed = parseSetupArgs(argv);
  if (parsed.kind === 'help') {
    io.print(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.printError(`setup:entra: ${parsed.message}\nRun npm run setup:entra -- --help for the options.`);
    return 2;
  }
  const settings = resolveSettings(parsed.args, await readEnvFile(parsed.args.envFile));
  if ('error' in settings) {
    io.printError(`setup:entra: ${settings.error}\nRun npm run setup:entra -- --help for the options.`);
    return 2;
  }
  let session: AdminSession;
  try {
    session = await signInAdministrator(settings, io);
  } catch (error) {
    // msal's messages carry no password or token.
    for (const line of describeFailure(error, null)) io.printError(line);
    io.printError(`  The sign-in used authority ${settings.authorityHost}/${settings.tenantId} and client ${settings.clientId} (--authority-host, --tenant-id, --client-id).`);
    return 1;
  }
  io.print(`Signed in as ${session.username}.`);
  return applySetup(settings, io, createGraphSession(settings.graphBaseUrl, session.getToken));
}
