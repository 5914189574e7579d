// The dashboard page: passes, requests and refusals of the last 30 days, for auditors and admins.
'use client';

import Link from 'next/link';
import type { ReactNode } from 'react';
import { AuditVerifyBadge } from '@/components/audit-verify-badge';
import { Button } from '@/components/button';
import { ChartBarList } from '@/components/chart-bar-list';
import { ChartDailyBars } from '@/components/chart-daily-bars';
import { ProblemAlert } from '@/components/problem-alert';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { formatDuration, parseDashboardStats, type DashboardStats } from '@/lib/client/audit-types';
import { formatDateTime, formatElapsed, formatReason, formatStatus } from '@/lib/client/format';
import { useMe } from '@/lib/client/me-context';
import { APP_ROLES, canReadAudit } from '@/lib/client/navigation';
import type { TapRequestStatus } from '@/lib/client/portal-types';
import { usePortalQuery } from '@/lib/client/use-portal-api';

const STATUSES: readonly string[] = ['pending_approval', 'approved', 'denied', 'expired', 'issuing', 'issued', 'revoked', 'failed'] satisfies TapRequestStatus[];

function isStatus(value: string): value is TapRequestStatus {
  return STATUSES.includes(value);
}

/** Below this many issued passes a 95th percentile is one or two of them, not a statement about "95 in 100". */
export const MIN_SAMPLES_FOR_PERCENTILE = 20;

/** The note under the 95th percentile: the figure's meaning, or plainly how few it rests on. */
export function percentileNote(measured: number): string {
  if (measured >= MIN_SAMPLES_FOR_PERCENTILE) return '95 in 100 passes were issued within this time';
  if (measured === 0) return 'No passes issued yet';
  return `${measured} pass${measured === 1 ? '' : 'es'} so far: too few for a percentile to mean much`;
}

/** "Dashboard": the last 30 days at a glance. Auditors and admins. */
export function DashboardSection() {
  const me = useMe();
  if (me.status === 'loading') return <ListSkeleton label="Loading…" />;
  if (me.status === 'success' && !canReadAudit(me.data.roles)) {
    return (
      <section aria-labelledby="dashboard-title" className="space-y-4">
        <SectionHeading id="dashboard-title" title="Dashboard" description="Passes, requests and refusals of the last 30 days." />
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-700">
          Only auditors and administrators see the dashboard.
        </p>
      </section>
    );
  }
  return <Dashboard />;
}

function Dashboard() {
  const stats = usePortalQuery('/api/dashboard', parseDashboardStats);
  const me = useMe();
  const isAdmin = me.status === 'success' && me.data.roles.includes(APP_ROLES.admin);
  return (
    <section aria-labelledby="dashboard-title" className="space-y-5">
      <SectionHeading
        id="dashboard-title"
        title="Dashboard"
        description="Passes, requests and refusals of the last 30 days (UTC days)."
        action={
          stats.status !== 'loading' && (
            <Button variant="secondary" onClick={stats.refresh}>
              Refresh
            </Button>
          )
        }
      />
      {stats.status === 'loading' && <ListSkeleton label="Loading the dashboard…" />}
      {stats.status === 'error' && (
        <div className="space-y-3">
          <ProblemAlert error={stats.error} />
          <Button variant="secondary" onClick={stats.reload}>
            Try again
          </Button>
        </div>
      )}
      {stats.status === 'success' && isAdmin && <AttentionPanel stats={stats.data} />}
      {stats.status === 'success' && <DashboardBody stats={stats.data} />}
    </section>
  );
}

function Tile({ label, value, note, testId, rawValue }: { label: string; value: ReactNode; note?: ReactNode; testId: string; rawValue?: number | null }) {
  return (
    <div data-testid={testId} data-value={rawValue ?? undefined} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums tracking-tight text-slate-900">{value}</dd>
      {note !== undefined && <dd className="mt-1 text-xs text-slate-600">{note}</dd>}
    </div>
  );
}

function Panel({ id, title, description, children }: { id: string; title: string; description?: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <h3 id={id} className="font-semibold text-slate-900">
        {title}
      </h3>
      {description !== undefined && <p className="mt-0.5 text-xs text-slate-600">{description}</p>}
      <div className="mt-4">{children}</div>
    </section>
  );
}

function AttentionItem({ testId, count, children, href, linkText }: { testId: string; count: number; children: ReactNode; href: string; linkText: string }) {
  return (
    <li data-testid={testId} data-value={count} className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 py-2">
      <span className={count > 0 ? 'font-medium text-slate-900' : 'text-slate-600'}>
        <span className="tabular-nums">{count}</span> {children}
      </span>
      {count > 0 && (
        <Link href={href} className="text-sm font-medium text-blue-800 underline">
          {linkText}
        </Link>
      )}
    </li>
  );
}

/**
 * An administrator's landing: what needs them now — requests waiting, issuances that failed or
 * hang, mails that could not be sent, and whether the audit chain holds.
 */
function AttentionPanel({ stats }: { stats: DashboardStats }) {
  const { attention, approvalsWaiting } = stats;
  const total = approvalsWaiting.count + attention.failedIssuances + attention.stuckIssuances + attention.failedNotifications;
  return (
    <section aria-labelledby="attention-title" data-testid="attention-panel" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <div className="flex flex-col gap-3 lg:flex-row lg:items-start lg:justify-between">
        <div className="min-w-0 flex-1">
          <h3 id="attention-title" className="font-semibold text-slate-900">
            Needs your attention
          </h3>
          <p className="mt-0.5 text-xs text-slate-600">{total === 0 ? 'Nothing is waiting for you.' : 'Open each to deal with it.'}</p>
          <ul className="mt-2 divide-y divide-slate-100 text-sm">
            <AttentionItem testId="attention-approvals" count={approvalsWaiting.count} href="/approvals" linkText="Open Approvals">
              {approvalsWaiting.count === 1 ? 'request waits' : 'requests wait'} for approval
            </AttentionItem>
            <AttentionItem testId="attention-failed" count={attention.failedIssuances} href="/audit" linkText="See the audit trail">
              {attention.failedIssuances === 1 ? 'issuance' : 'issuances'} failed in the last {stats.windowDays} days
            </AttentionItem>
            <AttentionItem testId="attention-stuck" count={attention.stuckIssuances} href="/audit" linkText="See the audit trail">
              {attention.stuckIssuances === 1 ? 'issuance is' : 'issuances are'} stuck, waiting for the reconciler
            </AttentionItem>
            <AttentionItem testId="attention-mail" count={attention.failedNotifications} href="/audit" linkText="See the audit trail">
              notification {attention.failedNotifications === 1 ? 'mail' : 'mails'} could not be sent in the last {stats.windowDays} days
            </AttentionItem>
          </ul>
        </div>
        <div className="lg:w-72">
          <AuditVerifyBadge />
        </div>
      </div>
    </section>
  );
}

function DashboardBody({ stats }: { stats: DashboardStats }) {
  const issuedTotal = stats.issuedPerDay.reduce((sum, day) => sum + day.count, 0);
  const { medianSeconds, p95Seconds, count: issuedMeasured } = stats.timeToIssue;
  return (
    <div className="space-y-5">
      <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Tile
          testId="stat-approvals-waiting"
          label="Approvals waiting"
          value={stats.approvalsWaiting.count}
          rawValue={stats.approvalsWaiting.count}
          note={
            stats.approvalsWaiting.oldestCreatedAt !== null ? (
              <>Oldest waiting {formatElapsed(stats.approvalsWaiting.oldestCreatedAt)}</>
            ) : (
              'Nothing is waiting'
            )
          }
        />
        <Tile testId="stat-passes-issued" label={`Passes issued (${stats.windowDays} days)`} value={issuedTotal} rawValue={issuedTotal} />
        <Tile
          testId="stat-time-median"
          label="Request to issue, median"
          value={medianSeconds === null ? '—' : formatDuration(medianSeconds)}
          rawValue={medianSeconds}
          note={`${issuedMeasured} pass${issuedMeasured === 1 ? '' : 'es'} measured`}
        />
        <Tile
          testId="stat-time-p95"
          label="Request to issue, 95th percentile"
          value={p95Seconds === null ? '—' : formatDuration(p95Seconds)}
          rawValue={p95Seconds}
          note={percentileNote(issuedMeasured)}
        />
      </dl>

      <Panel id="chart-issued-title" title="Passes issued per day" description={`Last ${stats.windowDays} days, UTC.`}>
        <ChartDailyBars title="Passes issued per day" valueLabel="Passes issued" data={stats.issuedPerDay} testId="chart-issued-per-day" />
      </Panel>

      <div className="grid gap-5 lg:grid-cols-3">
        <Panel id="chart-outcomes-title" title="Requests by outcome" description="Requests made in the window, by their status now.">
          <ChartBarList
            label="Requests by outcome"
            testId="chart-outcomes"
            emptyText="No requests in the window."
            items={stats.requestsByOutcome.map((row) => ({
              key: row.status,
              label: isStatus(row.status) ? formatStatus(row.status) : row.status,
              value: row.count,
            }))}
          />
        </Panel>
        <Panel id="chart-requesters-title" title="Top requesting managers" description="Requests made in the window.">
          <ChartBarList
            label="Top requesting managers"
            testId="chart-top-requesters"
            tone="green"
            emptyText="No requests in the window."
            items={stats.topRequesters.map((row) => ({
              key: row.requesterId,
              label: row.displayName ?? row.requesterId,
              value: row.count,
            }))}
          />
        </Panel>
        <Panel id="chart-refusals-title" title="Refusals by reason" description="Refused requests and issuances in the window.">
          <ChartBarList
            label="Refusals by reason"
            testId="chart-refusals"
            tone="amber"
            emptyText="Nothing was refused in the window."
            items={stats.refusalsByReason.map((row) => ({ key: row.reason, label: formatReason(row.reason), value: row.count }))}
          />
        </Panel>
      </div>
      <p className="text-xs text-slate-600">Figures as of {formatDateTime(stats.generatedAt)}.</p>
    </div>
  );
}
