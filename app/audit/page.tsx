import type { Metadata } from 'next';
import { AuditConsole } from '@/components/audit-console';

/** The `/audit` page: the audit console. */

export const metadata: Metadata = { title: 'Audit' };

/** The audit trail, its verification and exports (auditors and admins; the API enforces it). */
export default function AuditPage() {
  return <AuditConsole />;
}
