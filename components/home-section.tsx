// The portal's first page: sends each person where their work is, or explains how to get a pass.
'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect } from 'react';
import { ListSkeleton, SectionHeading } from '@/components/section-parts';
import { TeamSection } from '@/components/team-section';
import { useMe } from '@/lib/client/me-context';
import { describeHelpdeskContact, getLanding } from '@/lib/client/navigation';
import type { Me } from '@/lib/client/portal-types';

/**
 * `/`: with `?view=team` (the Team tab) the team; otherwise the page {@link getLanding} picks for
 * the signed-in person. Someone nobody reports to gets the help page instead of an empty team.
 */
export function HomeSection() {
  const me = useMe();
  const router = useRouter();
  const explicitTeam = useSearchParams().get('view') === 'team';
  const landing = me.status === 'success' && !explicitTeam ? getLanding(me.data) : null;
  const target = landing?.kind === 'go' ? landing.path : null;

  useEffect(() => {
    // `replace`: Back from the landing page leaves the portal rather than bouncing here again.
    if (target !== null) router.replace(target);
  }, [router, target]);

  if (me.status === 'loading' || target !== null) return <ListSkeleton label="Opening your page…" />;
  if (me.status === 'success' && me.data.hasReports === false && (explicitTeam || landing?.kind === 'help')) return <GetAPassHelp me={me.data} />;
  return <TeamSection />;
}

function HelpdeskContact({ contact }: { contact: string }) {
  const described = describeHelpdeskContact(contact);
  return described.kind === 'link' ? (
    <a href={described.href} className="font-medium text-blue-800 underline">
      {described.text}
    </a>
  ) : (
    <span className="font-medium text-slate-900">{described.text}</span>
  );
}

/** For someone nobody reports to: who can get them a pass of their own, instead of an empty team. */
function GetAPassHelp({ me }: { me: Me }) {
  const manager = me.manager ?? null;
  const helpdesk = me.helpdeskContact ?? null;
  return (
    <section aria-labelledby="help-title" className="space-y-5" data-testid="get-a-pass-help">
      <SectionHeading
        id="help-title"
        title="Getting a pass"
        description="No one reports to you in the directory. There is no team here for you to request passes for."
      />
      <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 text-sm text-slate-800 shadow-sm sm:p-6">
        <h3 className="font-semibold text-slate-900">Need a Temporary Access Pass for yourself?</h3>
        <p>A pass lets you sign in once to set up a new phone or security key. You cannot request one for yourself here.</p>
        <ul className="list-disc space-y-2 pl-5">
          {manager !== null ? (
            <li data-testid="help-manager">
              Ask your manager, <span className="font-medium text-slate-900">{manager.displayName}</span> ({manager.userPrincipalName}): they can request one
              for you in TAP Broker.
            </li>
          ) : (
            <li>The directory names no manager for you, so nobody can request a pass for you in TAP Broker.</li>
          )}
          {helpdesk !== null && (
            <li data-testid="help-helpdesk">
              Or contact the helpdesk: <HelpdeskContact contact={helpdesk} />.
            </li>
          )}
        </ul>
        <p className="text-slate-600">Your own requests for others, if you make any later, are under My requests.</p>
      </div>
    </section>
  );
}
