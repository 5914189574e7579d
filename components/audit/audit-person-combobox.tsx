// The audit filter's actor and target fields: type part of a name or UPN and pick the person (the
// filter takes their id), or paste an id as it is.
'use client';

import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import { inputClassName } from '@/components/form-field';
import { auditPeopleSchema, type AuditPerson } from '@/lib/contract/audit';
import { InteractionRedirectingError } from '@/lib/client/msal';
import { usePortalApi } from '@/lib/client/use-portal-api';

/**
 * An ARIA 1.2 combobox (`role=combobox` with a `listbox` popup): the options come from
 * `GET /api/audit/people?q=` as the auditor types; ↑/↓ move through them, Enter or a click picks
 * one, Escape closes the list. `value` is the filter's text — the picked person's id, or whatever
 * was typed or pasted (an id works as it is).
 */
export function AuditPersonCombobox({ id, value, onChange, describedBy }: { id: string; value: string; onChange: (value: string) => void; describedBy?: string }) {
  const call = usePortalApi();
  const listId = useId();
  const [open, setOpen] = useState(false);
  const [people, setPeople] = useState<AuditPerson[]>([]);
  const [active, setActive] = useState(-1);
  const [picked, setPicked] = useState<AuditPerson | null>(null);
  const query = value.trim();

  useEffect(() => {
    if (!open || query === '') return;
    const controller = new AbortController();
    call(`/api/audit/people?${new URLSearchParams({ q: query }).toString()}`, { signal: controller.signal }).then(
      (body) => {
        if (controller.signal.aborted) return;
        setPeople(auditPeopleSchema.parse(body).people);
        setActive(-1);
      },
      (error: unknown) => {
        // The picker is a help: when it cannot answer, the field still takes an id.
        if (!controller.signal.aborted && !(error instanceof InteractionRedirectingError)) setPeople([]);
      },
    );
    return () => controller.abort();
  }, [call, open, query]);

  const shown = open && query !== '' ? people : [];
  const pick = (person: AuditPerson) => {
    setPicked(person);
    onChange(person.id);
    setOpen(false);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      setActive((current) => (shown.length === 0 ? -1 : (current + 1) % shown.length));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((current) => (shown.length === 0 ? -1 : (current - 1 + shown.length) % shown.length));
    } else if (event.key === 'Enter' && open && active >= 0 && shown[active] !== undefined) {
      // Picks the option instead of submitting the form.
      event.preventDefault();
      pick(shown[active]);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
    }
  };
  const pickedNow = picked !== null && picked.id === value ? picked : null;
  const hintId = `${listId}-hint`;

  return (
    <div className="relative">
      <input
        id={id}
        role="combobox"
        aria-expanded={shown.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-describedby={[hintId, describedBy].filter(Boolean).join(' ')}
        {...(active >= 0 && shown[active] !== undefined ? { 'aria-activedescendant': `${listId}-${active}` } : {})}
        className={`${inputClassName} mt-1 w-full`}
        spellCheck={false}
        autoComplete="off"
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(false)}
      />
      <p id={hintId} className="mt-1 truncate text-xs text-slate-600">
        {pickedNow ? `${pickedNow.displayName} · ${pickedNow.userPrincipalName}` : 'Type a name or UPN and pick the person, or paste an id.'}
      </p>
      <ul
        id={listId}
        role="listbox"
        aria-label="People"
        hidden={shown.length === 0}
        className="absolute z-10 mt-1 max-h-64 w-full overflow-auto rounded-md border border-slate-200 bg-white py-1 text-sm shadow-lg"
      >
        {shown.map((person, index) => (
          <li
            key={person.id}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={index === active}
            className={`cursor-pointer px-3 py-2 ${index === active ? 'bg-blue-50 text-blue-900' : 'text-slate-900'}`}
            // mousedown, not click: it comes before the input's blur closes the list.
            onMouseDown={(event) => {
              event.preventDefault();
              pick(person);
            }}
          >
            <span className="font-medium">{person.displayName}</span> <span className="text-slate-600">· {person.userPrincipalName}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
