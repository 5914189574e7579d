import { Suspense } from 'react';
import { HomeSection } from '@/components/home-section';

/** `/`: each person's landing page — the team, their role's work, or how to get a pass. */
export default function HomePage() {
  return (
    <Suspense>
      <HomeSection />
    </Suspense>
  );
}
