import { ClientRoot } from '@/components/client-root';

/**
 * The portal is a single-page app: the server sends a static shell and the browser does the
 * rest (runtime config, sign-in, API calls with the user's token).
 */
export default function HomePage() {
  return <ClientRoot />;
}
