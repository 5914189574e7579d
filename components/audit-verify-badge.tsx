// The audit console's verdict on the whole hash chain, so tampering is visible at a glance.
'use client';

import { Button } from '@/components/button';
import { describeError } from '@/lib/client/format';
import { parseAuditVerification } from '@/lib/client/audit-types';
import { usePortalQuery } from '@/lib/client/use-portal-api';

function shortHash(hash: string): string {
  return `${hash.slice(0, 12)}…`;
}

/**
 * The state of the whole hash chain from `GET /api/audit/verify`: green with the event count and
 * head hash, or red naming the first broken `seq`. Words carry the meaning; colour repeats it.
 */
export function AuditVerifyBadge() {
  const verify = usePortalQuery('/api/audit/verify', parseAuditVerification);

  let body;
  let tone: string;
  let state: 'checking' | 'ok' | 'broken' | 'error';
  if (verify.status === 'loading') {
    state = 'checking';
    tone = 'border-slate-200 bg-white text-slate-700';
    body = <p className="font-medium">Verifying the hash chain…</p>;
  } else if (verify.status === 'error') {
    state = 'error';
    tone = 'border-amber-300 bg-amber-50 text-amber-950';
    body = (
      <>
        <p className="font-semibold">The chain could not be verified</p>
        <p className="mt-0.5 text-xs">{describeError(verify.error).detail ?? describeError(verify.error).title}</p>
      </>
    );
  } else if (verify.data.ok) {
    state = 'ok';
    tone = 'border-green-300 bg-green-50 text-green-950';
    body = (
      <>
        <p className="font-semibold">
          <span aria-hidden="true">✓ </span>Chain verified
        </p>
        <p className="mt-0.5 text-xs">
          {verify.data.count.toLocaleString()} event{verify.data.count === 1 ? '' : 's'}
          {verify.data.headHash !== null && (
            <>
              {' '}
              · head <code className="font-mono" title={verify.data.headHash}>{shortHash(verify.data.headHash)}</code>
            </>
          )}
        </p>
      </>
    );
  } else {
    state = 'broken';
    tone = 'border-red-300 bg-red-50 text-red-950';
    body = (
      <>
        <p className="font-semibold">
          <span aria-hidden="true">✕ </span>Chain broken
          {verify.data.firstBrokenSeq !== undefined && <> at seq {verify.data.firstBrokenSeq}</>}
        </p>
        <p className="mt-0.5 text-xs">
          {verify.data.count.toLocaleString()} events read; events from the first broken one on cannot be trusted.
        </p>
      </>
    );
  }

  return (
    <div className="flex items-start gap-3">
      <div
        role="status"
        data-testid="audit-verify"
        data-state={state}
        data-first-broken-seq={verify.status === 'success' ? (verify.data.firstBrokenSeq ?? undefined) : undefined}
        className={`min-w-0 rounded-md border px-3 py-2 text-sm ${tone}`}
      >
        {body}
      </div>
      <Button variant="ghost" onClick={verify.reload} disabled={verify.status === 'loading'} className="shrink-0">
        Re-verify
      </Button>
    </div>
  );
}
