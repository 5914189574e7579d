import { TeamSection } from '@/components/team-section';

/** Team: everyone who reports to the signed-in manager, and "Request pass". */
export default function TeamPage() {
  return <TeamSection />;
}
