import type { Metadata } from 'next';
import { MyRequestsSection } from '@/components/my-requests-section';

/** The `/requests` page: the signed-in user's own TAP requests. */

export const metadata: Metadata = { title: 'My requests' };

/** The signed-in manager's requests: status, "Get pass", "Revoke". */
export default function MyRequestsPage() {
  return <MyRequestsSection />;
}
