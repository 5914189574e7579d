import type { Metadata } from 'next';
import { MyRequestsSection } from '@/components/my-requests-section';

export const metadata: Metadata = { title: 'My requests' };

/** The signed-in manager's requests: status, "Get pass", "Revoke". */
export default function MyRequestsPage() {
  return <MyRequestsSection />;
}
