import 'server-only';

/**
 * The notification catalogue: who hears about what, rendered as plain text and simple HTML.
 * Pure functions of a request row. Invariant: a message is built only from what the database
 * holds, and the database never holds the pass — so no message can carry one.
 *
 * | kind                 | to                                   | when                                   |
 * |----------------------|--------------------------------------|----------------------------------------|
 * | `approval_requested` | APPROVER_NOTIFICATION_ADDRESSES      | a request waits for approval; several within MAIL_DIGEST_MINUTES go out as one digest ({@link renderApprovalDigest}) |
 * | `request_approved`   | the requester                        | an approver approved it (with comment) |
 * | `request_denied`     | the requester                        | an approver denied it (with reason)    |
 * | `pass_issued`        | the target                           | a pass was issued for them, and by whom (security signal) |
 */

export const NOTIFICATION_KINDS = ['approval_requested', 'request_approved', 'request_denied', 'pass_issued'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The fields of a request a message may use (a `TapRequest` row satisfies it). */
export interface NotifiableRequest {
  id: string;
  requesterId: string;
  requesterDisplayName: string | null;
  targetUserId: string;
  targetDisplayName: string;
  targetUserPrincipalName: string | null;
  justification: string;
  lifetimeInMinutes: number;
  isUsableOnce: boolean;
  startDateTime: Date | null;
  createdAt: Date;
  decidedBy: string | null;
  decidedByDisplayName: string | null;
  decisionComment: string | null;
  approvalExpiresAt: Date | null;
  issuedAt: Date | null;
  expiresDateTime: Date | null;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

const SUBJECT_PREFIX = 'TAP Broker: ';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Subjects are one line: names come from the directory and must not fold headers. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ').trim();
}

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function requesterName(r: NotifiableRequest): string {
  return r.requesterDisplayName ?? r.requesterId;
}

function targetName(r: NotifiableRequest): string {
  return r.targetUserPrincipalName === null ? r.targetDisplayName : `${r.targetDisplayName} (${r.targetUserPrincipalName})`;
}

function deciderName(r: NotifiableRequest): string {
  return r.decidedByDisplayName ?? r.decidedBy ?? 'an approver';
}

function terms(r: NotifiableRequest): string {
  return `${r.lifetimeInMinutes} minutes, ${r.isUsableOnce ? 'usable once' : 'usable several times'}`;
}

const HTML_HEAD = '<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1b1b1b">';
const HTML_FOOT = '<p style="color:#616161;font-size:12px">TAP Broker (automatic message; do not reply)</p>\n</body></html>';

function htmlTable(rows: [string, string][]): string {
  return [
    '<table style="border-collapse:collapse">',
    ...rows.map(([label, value]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(label)}</th><td style="padding:2px 0">${escapeHtml(value)}</td></tr>`),
    '</table>',
  ].join('\n');
}

/**
 * Where a message points into the portal: PORTAL_URL (lib/env.ts) and a page under it. Null
 * `portalUrl`: the message names the page without a link.
 */
export interface PortalLink {
  portalUrl: string | null;
}

interface PageLink {
  label: string;
  href: string;
}

/** `null` without a PORTAL_URL; the path is ours, so only the configured base needs trusting. */
function pageLink(links: PortalLink, path: '/approvals' | '/requests', label: string): PageLink | null {
  return links.portalUrl === null ? null : { label, href: `${links.portalUrl}${path}` };
}

function linkText(link: PageLink | null): string[] {
  return link === null ? [] : [`${link.label}: ${link.href}`];
}

function linkHtml(link: PageLink | null): string[] {
  return link === null ? [] : [`<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`];
}

/** A paragraph list rendered to both forms; `[label, value]` rows become a small table in HTML. */
function render(subject: string, intro: string, rows: [string, string][], closing: string[], link: PageLink | null = null): RenderedMessage {
  const text = [intro, '', ...rows.map(([label, value]) => `${label}: ${value}`), '', ...closing, ...linkText(link), '', '— TAP Broker (automatic message; do not reply)'].join('\n');
  const html = [HTML_HEAD, `<p>${escapeHtml(intro)}</p>`, htmlTable(rows), ...closing.map((line) => `<p>${escapeHtml(line)}</p>`), ...linkHtml(link), HTML_FOOT].join('\n');
  return { subject: oneLine(`${SUBJECT_PREFIX}${subject}`), text, html };
}

/** To approvers: a request waits for a decision. */
export function renderApprovalRequested(r: NotifiableRequest, links: PortalLink = { portalUrl: null }): RenderedMessage {
  return render(
    `approval needed for a pass for ${r.targetDisplayName}`,
    `${requesterName(r)} asks for a Temporary Access Pass for ${targetName(r)}. The request waits for an approver.`,
    [
      ['Requested by', requesterName(r)],
      ['For', targetName(r)],
      ['Justification', r.justification],
      ['Pass', terms(r)],
      ['Requested at', utc(r.createdAt)],
      ['Request id', r.id],
    ],
    ['Approve or deny it under Approvals in the TAP Broker portal. Nobody may decide their own request or a pass for themselves.'],
    pageLink(links, '/approvals', 'Open Approvals'),
  );
}

const EXCERPT_CHARS = 200;

function excerpt(value: string): string {
  const flat = oneLine(value);
  return flat.length <= EXCERPT_CHARS ? flat : `${flat.slice(0, EXCERPT_CHARS - 1)}…`;
}

/**
 * One request of an approval digest: the request as it is when the digest is sent (its status tells
 * whether it still waits), or null when its row is gone — then `fallbackSubject`, the subject of
 * the single mail queued for it, stands in.
 */
export interface DigestEntry {
  request: (NotifiableRequest & { status: string }) | null;
  requestId: string | null;
  fallbackSubject: string;
}

function digestItem(entry: DigestEntry): { heading: string; rows: [string, string][] } {
  const r = entry.request;
  if (r === null) return { heading: entry.fallbackSubject, rows: [['Request id', entry.requestId ?? '(unknown)']] };
  return {
    heading: `${requesterName(r)} asks for a pass for ${targetName(r)}${r.status === 'pending_approval' ? '' : ` (no longer waiting: ${r.status.replace(/_/g, ' ')})`}`,
    rows: [
      ['Justification', excerpt(r.justification)],
      ['Pass', terms(r)],
      ['Requested at', utc(r.createdAt)],
      ['Request id', r.id],
    ],
  };
}

/**
 * To an approver: several requests that waited together, in one mail (oldest first). Built like the
 * single mail — the same escaping, nothing the database does not hold, so never a pass.
 */
export function renderApprovalDigest(entries: DigestEntry[], links: PortalLink = { portalUrl: null }): RenderedMessage {
  const items = entries.map(digestItem);
  const link = pageLink(links, '/approvals', 'Open Approvals');
  const intro = `${entries.length} requests for a Temporary Access Pass wait for an approver.`;
  const closing = 'Approve or deny them under Approvals in the TAP Broker portal. Nobody may decide their own request or a pass for themselves.';
  const text = [
    intro,
    '',
    ...items.flatMap((item, i) => [`${i + 1}. ${item.heading}`, ...item.rows.map(([label, value]) => `   ${label}: ${value}`), '']),
    closing,
    ...linkText(link),
    '',
    '— TAP Broker (automatic message; do not reply)',
  ].join('\n');
  const html = [
    HTML_HEAD,
    `<p>${escapeHtml(intro)}</p>`,
    '<ol>',
    ...items.map((item) => `<li><p><strong>${escapeHtml(item.heading)}</strong></p>\n${htmlTable(item.rows)}</li>`),
    '</ol>',
    `<p>${escapeHtml(closing)}</p>`,
    ...linkHtml(link),
    HTML_FOOT,
  ].join('\n');
  return { subject: oneLine(`${SUBJECT_PREFIX}${entries.length} requests wait for approval`), text, html };
}

/** To the requester: an approver approved the request. */
export function renderRequestApproved(r: NotifiableRequest, links: PortalLink = { portalUrl: null }): RenderedMessage {
  return render(
    `your request for ${r.targetDisplayName} was approved`,
    `${deciderName(r)} approved your request for a Temporary Access Pass for ${targetName(r)}.`,
    [
      ['Approved by', deciderName(r)],
      ['Comment', r.decisionComment ?? '(none)'],
      ...(r.approvalExpiresAt === null ? [] : ([['Issue it before', utc(r.approvalExpiresAt)]] as [string, string][])),
      ['Pass', terms(r)],
      ['Request id', r.id],
    ],
    ['Open My requests in the TAP Broker portal to issue the pass. It is shown to you once; hand it to the person yourself.'],
    pageLink(links, '/requests', 'Open My requests'),
  );
}

/** To the requester: an approver denied the request. */
export function renderRequestDenied(r: NotifiableRequest): RenderedMessage {
  return render(
    `your request for ${r.targetDisplayName} was denied`,
    `${deciderName(r)} denied your request for a Temporary Access Pass for ${targetName(r)}.`,
    [
      ['Denied by', deciderName(r)],
      ['Reason', r.decisionComment ?? '(none given)'],
      ['Request id', r.id],
    ],
    ['No pass will be issued for this request. You may make a new request if the situation changes.'],
  );
}

/**
 * To the target: a pass was issued for their account, and by whom — a security signal. Never
 * the pass: only its validity window, so someone who did not expect it can raise the alarm.
 */
export function renderPassIssued(r: NotifiableRequest): RenderedMessage {
  const start = r.startDateTime ?? r.issuedAt;
  return render(
    'a Temporary Access Pass was issued for your account',
    `${requesterName(r)} obtained a Temporary Access Pass for your account (${targetName(r)}) through the TAP Broker.`,
    [
      ['Issued by', requesterName(r)],
      ['Issued at', r.issuedAt === null ? '(unknown)' : utc(r.issuedAt)],
      ...(start === null ? [] : ([['Valid from', utc(start)]] as [string, string][])),
      ...(r.expiresDateTime === null ? [] : ([['Valid until', utc(r.expiresDateTime)]] as [string, string][])),
      ['Usable', r.isUsableOnce ? 'once' : 'several times until it expires'],
      ['Request id', r.id],
    ],
    [
      'The pass itself is never sent by mail: the person named above hands it to you directly.',
      'If you did not expect this, do not use any pass you are given and contact your IT security team at once.',
    ],
  );
}

/** The message of `kind` about `r`; `links` gives the portal address the approval mails link to. */
export function renderNotification(kind: NotificationKind, r: NotifiableRequest, links: PortalLink = { portalUrl: null }): RenderedMessage {
  switch (kind) {
    case 'approval_requested':
      return renderApprovalRequested(r, links);
    case 'request_approved':
      return renderRequestApproved(r, links);
    case 'request_denied':
      return renderRequestDenied(r);
    case 'pass_issued':
      return renderPassIssued(r);
  }
}
