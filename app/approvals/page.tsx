import type { Metadata } from 'next';
import { ApprovalsSection } from '@/components/approvals-section';

export const metadata: Metadata = { title: 'Approvals' };

/** Requests waiting for an approver (approvers and admins; the API enforces it). */
export default function ApprovalsPage() {
  return <ApprovalsSection />;
}
