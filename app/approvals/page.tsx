import type { Metadata } from 'next';
import { ApprovalsSection } from '@/components/approvals-section';

/** The `/approvals` page: the approval queue and the decisions already made. */

export const metadata: Metadata = { title: 'Approvals' };

/** Requests waiting for an approver (approvers and admins; the API enforces it). */
export default function ApprovalsPage() {
  return <ApprovalsSection />;
}
