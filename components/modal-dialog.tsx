'use client';

import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal on the native `<dialog>`: `showModal()` gives the focus trap, the inert page behind,
 * the top layer and Escape for free, with no UI kit. Mount it to open it, unmount it to close it.
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
    if (!dialog.open) dialog.showModal();
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
    };
  }, []);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid={testId}
      className="m-auto max-h-[calc(100dvh-2rem)] w-[calc(100%-2rem)] max-w-lg overflow-y-auto rounded-lg bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-900/50"
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
