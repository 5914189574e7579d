'use client';

import { useRef, useState } from 'react';
import { Button } from '@/components/button';
import { ModalDialog } from '@/components/modal-dialog';
import { formatDateTime, formatLifetime } from '@/lib/client/format';
import type { IssuedPass } from '@/lib/client/portal-types';

/**
 * The one and only time a pass is shown. It lives in the props of this dialog and nowhere else
 * in the page: closing the dialog drops it, and a reload cannot bring it back (the API never
 * returns it twice, and nothing is written to web storage).
 */
export function PassRevealDialog({ pass, targetName, onClose }: { pass: IssuedPass; targetName: string; onClose: () => void }) {
  const passRef = useRef<HTMLParagraphElement>(null);
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(pass.temporaryAccessPass);
      setCopyState('copied');
    } catch {
      // No clipboard permission: select the pass so Ctrl+C / long-press works.
      const node = passRef.current;
      const selection = window.getSelection();
      if (node !== null && selection !== null) selection.selectAllChildren(node);
      setCopyState('failed');
    }
  };

  return (
    <ModalDialog title={`Temporary Access Pass for ${targetName}`} onClose={onClose} dismissible={false} testId="pass-reveal">
      <div className="space-y-5 text-sm text-slate-700">
        <p>
          Give it to {targetName} in person or over a channel you trust. They sign in with it instead of a password, then
          set up their own sign-in methods.
        </p>

        <div className="rounded-lg border border-slate-300 bg-slate-50 p-4">
          <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">
            Temporary Access Pass
          </p>
          <div className="mt-2 flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
            <p
              ref={passRef}
              data-testid="tap-pass"
              translate="no"
              className="select-all break-all font-mono text-2xl font-semibold tracking-wider text-slate-950 sm:text-3xl"
            >
              {pass.temporaryAccessPass}
            </p>
            <Button onClick={copy} autoFocus className="shrink-0">
              Copy
            </Button>
          </div>
          <p role="status" aria-live="polite" className="mt-2 min-h-5 text-xs text-slate-700">
            {copyState === 'copied' && 'Copied to the clipboard.'}
            {copyState === 'failed' && 'Could not copy automatically: the pass is selected, copy it with Ctrl+C.'}
          </p>
        </div>

        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2">
          <dt className="font-medium text-slate-900">Valid from</dt>
          <dd data-testid="tap-pass-start">{formatDateTime(pass.startDateTime)}</dd>
          <dt className="font-medium text-slate-900">Expires</dt>
          <dd data-testid="tap-pass-expires">
            {formatDateTime(pass.expiresDateTime)}
          </dd>
          <dt className="font-medium text-slate-900">Use</dt>
          <dd data-testid="tap-pass-usage">
            {pass.isUsableOnce ? 'One sign-in only' : `Any number of sign-ins for ${formatLifetime(pass.lifetimeInMinutes)}`}
          </dd>
        </dl>

        <p className="rounded-md border border-amber-300 bg-amber-50 p-3 font-semibold text-amber-950" role="note">
          This pass will not be shown again.
        </p>

        <div className="flex justify-end">
          <Button variant="secondary" onClick={onClose}>
            Done
          </Button>
        </div>
      </div>
    </ModalDialog>
  );
}
