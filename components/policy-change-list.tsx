import {
  formatPolicyListItem,
  formatPolicyValue,
  getListChange,
  isPolicyListField,
  POLICY_FIELD_LABELS,
  type PolicyFields,
  type PolicyListField,
} from '@/components/policy-api';

/**
 * What changed from one policy to another, one `policy-change` item per field: a value as
 * "old → new", a list as the entries added and removed (a whole list twice is hard to compare).
 */
export function PolicyChangeList({
  fields,
  before,
  after,
  label,
}: {
  fields: readonly (keyof PolicyFields)[];
  before: PolicyFields;
  after: PolicyFields;
  label: string;
}) {
  return (
    <ul className="space-y-1" aria-label={label}>
      {fields.map((field) => (
        <li key={field} className="break-words text-slate-700" data-testid="policy-change" data-field={field}>
          <span className="font-medium text-slate-900">{POLICY_FIELD_LABELS[field]}:</span>{' '}
          {isPolicyListField(field) ? (
            <ListChange field={field} before={before[field]} after={after[field]} />
          ) : (
            <>
              <del className="text-slate-600">{formatPolicyValue(field, before)}</del>
              <span aria-hidden="true"> → </span>
              <span className="sr-only"> changed to </span>
              <ins className="font-medium text-slate-900 no-underline">{formatPolicyValue(field, after)}</ins>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function ListChange({ field, before, after }: { field: PolicyListField; before: string[]; after: string[] }) {
  const { added, removed } = getListChange(before, after);
  const words = (ids: string[]) => ids.map((id) => formatPolicyListItem(field, id)).join(', ');
  // Group ids are long and unbroken; let them wrap anywhere rather than widen the page.
  const idClass = field === 'protectedGroupIds' ? 'break-all font-mono text-xs' : '';
  return (
    <>
      {added.length > 0 && (
        <span data-testid="policy-change-added">
          added <ins className={`font-medium text-slate-900 no-underline ${idClass}`}>{words(added)}</ins>
        </span>
      )}
      {added.length > 0 && removed.length > 0 && '; '}
      {removed.length > 0 && (
        <span data-testid="policy-change-removed">
          removed <del className={`text-slate-600 ${idClass}`}>{words(removed)}</del>
        </span>
      )}
    </>
  );
}
