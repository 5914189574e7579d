import type { ReactNode } from 'react';

/**
 * The shared input style, and the label, hint and error around each control of the portal's forms.
 */

export const inputClassName =
  'block h-10 rounded-md border border-slate-300 bg-white px-3 text-sm text-slate-900 placeholder:text-slate-500 focus:border-blue-700 aria-[invalid=true]:border-red-600';

/**
 * A label, a hint and an error around one control. The control itself wires `aria-describedby`
 * to `hintId` and to `${id}-error`, which this renders when there is an error.
 */
export function FormField({
  id,
  label,
  hint,
  hintId,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  hintId?: string;
  error?: string | undefined;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={id} className="block font-medium text-slate-900">
        {label}
      </label>
      {hint !== undefined && (
        <p id={hintId} className="mb-1.5 text-slate-600">
          {hint}
        </p>
      )}
      {children}
      {error !== undefined && (
        <p id={`${id}-error`} className="mt-1 font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
