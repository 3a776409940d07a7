// Settings → Invites → Hidden invites: what the server is keeping from you (Hush's review endpoint),
// the rule that hid each one in words, and "Show again" where one entry can be lifted — after a
// confirmation that says the entry goes for every invite it covers, not just this one.

import { useEffect, useState } from 'preact/hooks';
import { INVITE_RULE, showAgainLift, type HushClient } from '@hush/client';
import type { HiddenInvite } from '@hush/protocol';
import { Confirm } from './confirm.tsx';
import { describeError, useClientTick } from './use-client.ts';

/** The review endpoint's `rule`, in words. */
function ruleInWords(rule: string, inviter: string): string {
  const server = inviter.slice(inviter.indexOf(':') + 1);
  const words: Record<string, string> = {
    [INVITE_RULE.ignoredUser]: `You ignore ${inviter}.`,
    [INVITE_RULE.ignoredInviter]: `You ignore invites from ${inviter}.`,
    [INVITE_RULE.ignoredServer]: `You ignore the server ${server}.`,
    [INVITE_RULE.ignoredRoom]: 'You ignore invites to this room.',
    [INVITE_RULE.ignoredInvite]: 'You ignored this invite.',
    [INVITE_RULE.rejectedInviter]: `You reject invites from ${inviter}.`,
    [INVITE_RULE.blockAll]: 'You block all invites.',
    [INVITE_RULE.globIgnored]: `A pattern in your invite settings matches ${inviter}.`,
    [INVITE_RULE.globBlocked]: `A pattern in your invite settings matches ${inviter}.`,
    [INVITE_RULE.listUser]: `A policy room you follow bans ${inviter}.`,
    [INVITE_RULE.policiesUser]: `A policy room you follow bans ${inviter}.`,
    [INVITE_RULE.listServer]: `A policy room you follow bans ${server}.`,
    [INVITE_RULE.policiesServer]: `A policy room you follow bans ${server}.`,
    [INVITE_RULE.listRoom]: 'A policy room you follow bans this room.',
    [INVITE_RULE.policiesRoom]: 'A policy room you follow bans this room.',
  };
  return words[rule] ?? rule;
}

/** What "Show again" lifts, said before it is lifted: the whole entry, so every invite it covers. */
function liftInWords(inv: HiddenInvite): { title: string; body: string; undo: string } | null {
  const who = inv.inviter;
  const undo = 'Settings → Invites can hide them again.';
  const server = who.slice(who.indexOf(':') + 1);
  switch (showAgainLift(inv.rule)) {
    case 'ignored_user':
      return {
        title: `Stop ignoring ${who}?`,
        body: `This invite is hidden because you ignore ${who}. Showing it again stops ignoring them altogether: their messages, typing and read receipts come back in every room, and every future invite from ${who} is shown too.`,
        undo: 'Settings → Ignored users can ignore them again.',
      };
    case 'inviter':
      return {
        title: `Show invites from ${who} again?`,
        body: `This takes ${who} off the users whose invites you ignore. Not just this invite comes back: every future invite from ${who} is shown too.`,
        undo,
      };
    case 'rejected_inviter':
      return {
        title: `Show invites from ${who} again?`,
        body: `This takes ${who} off the inviters you reject. Not just this invite comes back: every future invite from ${who} is shown too.`,
        undo,
      };
    case 'allow_inviter':
      return {
        title: `Always allow invites from ${who}?`,
        body: `A pattern in your invite settings hides this invite. Showing it adds ${who} to the users always allowed to invite you (the pattern stays for everyone else), so every future invite from ${who} is shown too.`,
        undo,
      };
    case 'server':
      return {
        title: `Stop ignoring the server ${server}?`,
        body: `This takes ${server} off the servers you ignore. Not just this invite comes back: every invite from anyone on ${server} is shown, now and in future, and their messages are no longer hidden either.`,
        undo,
      };
    case 'room':
      return {
        title: 'Show invites to this room again?',
        body: 'This takes the room off the rooms whose invites you ignore. Not just this invite comes back: every future invite to this room is shown too, whoever sends it.',
        undo,
      };
    case null:
      return null;
  }
}

export function HiddenInvitesPage({ client }: { client: HushClient }) {
  useClientTick(client);
  // Asked again only when a list changed (the ignore view's version), not on every sync.
  const listsVersion = client.store.ignoreView().version;
  const [invites, setInvites] = useState<HiddenInvite[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [asking, setAsking] = useState<HiddenInvite | null>(null);

  useEffect(() => {
    let live = true;
    client.inviteRules.hiddenInvites().then(
      (list) => live && (setInvites(list), setError(null)),
      (e: unknown) => live && setError((e as { errcode?: string }).errcode === 'M_UNRECOGNIZED' ? "This homeserver doesn't list the invites it hides." : describeError(e)),
    );
    return () => void (live = false);
  }, [listsVersion]);

  const showAgain = async (inv: HiddenInvite) => {
    setAsking(null);
    setStatus('Showing it again…');
    try {
      await client.inviteRules.showInviteAgain(inv);
      setStatus('The invite is back in your invites.');
    } catch (e) {
      setStatus(describeError(e));
    }
  };

  return (
    <section class="settings">
      <h1>Hidden invites</h1>
      <p>
        <a href="#/settings/invites">Back to invite settings</a>
      </p>
      {status && <p role="status">{status}</p>}
      {error ? (
        <p class="error">{error}</p>
      ) : invites === null ? (
        <p>Loading…</p>
      ) : invites.length === 0 ? (
        <p class="muted">Nothing is hidden.</p>
      ) : (
        <ul class="list hidden-invites" aria-label="Hidden invites">
          {invites.map((inv) => {
            const name = inv.invite_state.events.find((e) => e.type === 'm.room.name')?.content['name'];
            const liftable = liftInWords(inv) !== null;
            return (
              <li key={inv.room_id} data-room={inv.room_id}>
                <div>
                  <strong>{typeof name === 'string' ? name : inv.room_id}</strong> from {inv.inviter}
                  <br />
                  <span class="rule" data-rule={inv.rule}>
                    {ruleInWords(inv.rule, inv.inviter)}
                  </span>{' '}
                  <span class="muted">{new Date(inv.ts).toLocaleString()}</span>
                </div>
                {liftable ? (
                  <button type="button" aria-label={`Show the invite to ${typeof name === 'string' ? name : inv.room_id} again`} onClick={() => setAsking(inv)}>
                    Show again
                  </button>
                ) : (
                  <span class="muted">Change that setting to see it.</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {asking && <AskShowAgain inv={asking} onConfirm={() => void showAgain(asking)} onCancel={() => setAsking(null)} />}
    </section>
  );
}

function AskShowAgain({ inv, onConfirm, onCancel }: { inv: HiddenInvite; onConfirm: () => void; onCancel: () => void }) {
  const words = liftInWords(inv);
  if (!words) return null;
  return (
    <Confirm title={words.title} confirmLabel="Show again" onConfirm={onConfirm} onCancel={onCancel}>
      <p>{words.body}</p>
      <p>{words.undo}</p>
    </Confirm>
  );
}
