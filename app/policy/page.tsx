import type { Metadata } from 'next';
import { PolicyConsole } from '@/components/policy-console';

/** The `/policy` page: the policy console. */

export const metadata: Metadata = { title: 'Policy' };

/** The broker policy console (admins; the API enforces it): edit, preview, history. */
export default function PolicyPage() {
  return <PolicyConsole />;
}
