// The tenant's own TAP policy from Entra, beside the broker policy that must stay inside it.
'use client';

import type { ReactNode } from 'react';
import { Badge } from '@/components/badge';
import type { TenantTapPolicyView } from '@/components/policy-api';
import { formatLifetime } from '@/lib/client/format';

export function TenantPolicyCard({ tenant }: { tenant: TenantTapPolicyView }) {
  return (
    <aside
      aria-labelledby="tenant-policy-title"
      data-testid="tenant-policy"
      className="order-first h-fit rounded-lg border border-slate-200 bg-slate-50 p-4 text-sm lg:order-last"
    >
      <h3 id="tenant-policy-title" className="font-semibold text-slate-900">
        Tenant TAP policy
      </h3>
      <p className="mt-1 text-slate-600">Set in Entra ID. The broker policy must stay inside it.</p>
      <dl className="mt-3 space-y-2">
        <TenantRow label="State">
          <Badge tone={tenant.state === 'enabled' ? 'green' : 'red'}>{tenant.state === 'enabled' ? 'Enabled' : 'Disabled'}</Badge>
        </TenantRow>
        <TenantRow label="Lifetime">
          {formatLifetime(tenant.minimumLifetimeInMinutes)} – {formatLifetime(tenant.maximumLifetimeInMinutes)}
        </TenantRow>
        <TenantRow label="Default">{formatLifetime(tenant.defaultLifetimeInMinutes)}</TenantRow>
        <TenantRow label="One-time use">{tenant.isUsableOnce ? 'Required' : 'Optional'}</TenantRow>
      </dl>
    </aside>
  );
}

function TenantRow({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-3">
      <dt className="text-slate-600">{label}</dt>
      <dd className="text-right font-medium text-slate-900">{children}</dd>
    </div>
  );
}
