import type { Metadata } from 'next';
import { DashboardSection } from '@/components/dashboard-section';

/** The `/dashboard` page: the last 30 days' figures. */

export const metadata: Metadata = { title: 'Dashboard' };

/** Figures of the last 30 days (auditors and admins; the API enforces it). */
export default function DashboardPage() {
  return <DashboardSection />;
}
