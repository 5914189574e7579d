'use client';

import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * Where focus goes back to when a dialog closes, best first: the control that opened it; the
 * places its own dialog would have returned to, when it was opened from inside another dialog (a
 * pass revealed from the request dialog); the row it was opened from (its heading or first
 * control), when the opener itself is gone — a keyboard user carries on where they were rather
 * than from the top of the page.
 */
const returnTargets = new WeakMap<HTMLDialogElement, readonly HTMLElement[]>();

function rememberFocus(): HTMLElement[] {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || active === document.body) return [];
  const outer = active.closest('dialog');
  const inherited = outer instanceof HTMLDialogElement ? (returnTargets.get(outer) ?? []) : [];
  const row = active.closest<HTMLElement>('[data-focus-fallback], li, tr, article');
  return [active, ...inherited, ...(row === null ? [] : [row])];
}

function focusFirstReachable(targets: readonly HTMLElement[]): void {
  // Another modal is still open (opened from this one): it holds focus and returns it itself.
  if (document.querySelector('dialog[open]:modal') !== null) return;
  for (const target of targets) {
    if (!target.isConnected) continue;
    const into = target.matches('li, tr, article, [data-focus-fallback]')
      ? target.querySelector<HTMLElement>('h2, h3, h4, button:not([disabled]), a[href]')
      : target;
    if (into === null) continue;
    if (/^H[2-4]$/.test(into.tagName) && !into.hasAttribute('tabindex')) into.tabIndex = -1;
    into.focus();
    if (document.activeElement === into) return;
  }
}

/**
 * A modal on the native `<dialog>`: `showModal()` gives the focus trap, the inert page behind,
 * the top layer and Escape for free, with no UI kit. Mount it to open it, unmount it to close it.
 *
 * Closing returns focus to the control that opened it (see {@link returnTargets}). A form's last
 * row holding its submit button stays in view while the body scrolls (globals.css, `.modal-dialog`).
 *
 * `dismissible={false}` keeps Escape from closing it (the one-time pass reveal: a stray key
 * press must not throw away a pass that can never be shown again).
 */
export function ModalDialog({
  title,
  onClose,
  children,
  dismissible = true,
  testId,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  dismissible?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  const dismissibleRef = useRef(dismissible);

  useEffect(() => {
    onCloseRef.current = onClose;
    dismissibleRef.current = dismissible;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (!dialog.open) {
      returnTargets.set(dialog, rememberFocus());
      dialog.showModal();
    }
    const onCancel = (event: Event) => {
      event.preventDefault();
      if (dismissibleRef.current) onCloseRef.current();
    };
    // The browser may close a modal without a cancellable `cancel` (a second Escape in a row).
    const onNativeClose = () => {
      // `close` is dispatched asynchronously: a stale one from an earlier effect run (React's
      // StrictMode mounts twice in development) arrives after the dialog was shown again.
      if (!dialog.isConnected || dialog.open) return;
      if (dismissibleRef.current) onCloseRef.current();
      else dialog.showModal();
    };
    dialog.addEventListener('cancel', onCancel);
    dialog.addEventListener('close', onNativeClose);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      dialog.removeEventListener('close', onNativeClose);
      if (dialog.open) dialog.close();
      focusFirstReachable(returnTargets.get(dialog) ?? []);
    };
  }, []);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid={testId}
      className="modal-dialog m-auto max-h-[calc(100dvh-2rem)] w-[calc(100%-2rem)] max-w-lg overflow-y-auto rounded-lg bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
    >
      <div className="p-5 sm:p-6">
        <h2 id={titleId} className="text-lg font-semibold tracking-tight text-slate-900">
          {title}
        </h2>
        <div className="mt-4">{children}</div>
      </div>
    </dialog>
  );
}
