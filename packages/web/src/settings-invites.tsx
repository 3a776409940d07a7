// Settings → Invites: block all (Invite permission), only from people you share a private room
// with (MSC4494), ignore invites from users / servers / rooms (MSC3840, MSC2270), glob lists
// (MSC4155), policy rooms (MSC3847, MSC4365), and a link to the hidden-invites review. Settings the
// server does not advertise are not shown.

import { useState } from 'preact/hooks';
import { isRoomId, isServerName, isUserId, type InviteDefault } from '@hush/protocol';
import type { GlobField, HushClient, RuleKind, ServerFeatures } from '@hush/client';
import { useAction, useClientTick } from './use-client.ts';

const VALID: Record<RuleKind, (s: string) => boolean> = { user: isUserId, server: isServerName, room: isRoomId };
const EXAMPLE: Record<RuleKind, string> = { user: '@spammer:example.org', server: 'spam.example', room: '!room:example.org' };
const GLOB_FIELDS: { field: GlobField; label: string }[] = [
  { field: 'ignored_users', label: 'Hide invites from users matching' },
  { field: 'blocked_users', label: 'Refuse invites from users matching' },
  { field: 'ignored_servers', label: 'Hide invites from servers matching' },
  { field: 'blocked_servers', label: 'Refuse invites from servers matching' },
  { field: 'allowed_users', label: 'Always allow users matching' },
  { field: 'allowed_servers', label: 'Always allow servers matching' },
];

export function InviteSettingsPage({ client, features }: { client: HushClient; features: ServerFeatures | null }) {
  useClientTick(client);
  const lists = client.inviteRules.lists();
  const { status, run } = useAction('saved');
  // The choice being saved shows as chosen until /sync brings the stored value back.
  const [choosing, setChoosing] = useState<InviteDefault | null>(null);
  const inviteDefault = choosing ?? lists.inviteDefault;
  const choose = (value: InviteDefault, label: string) => {
    setChoosing(value);
    void run(label, () => client.inviteRules.setInviteDefault(value)).finally(() => setChoosing(null));
  };
  return (
    <section class="settings">
      <h1>Invites</h1>
      <p>
        <a href="#/settings/hidden">Review hidden invites</a> — what your server is keeping from you, and why.
      </p>
      {status && <p role="status">{status}</p>}
      {features?.invitePermission && (
        <fieldset>
          <legend>Who may invite you</legend>
          <label class="check">
            <input type="radio" name="invite-default" checked={inviteDefault === 'allow'} onChange={() => choose('allow', 'Allowing invites')} />
            Anyone
          </label>
          {features.denyPublic && (
            <label class="check">
              <input type="radio" name="invite-default" checked={inviteDefault === 'deny_public'} onChange={() => choose('deny_public', 'Limiting invites')} />
              Only people I already share a private room with
            </label>
          )}
          <label class="check">
            <input type="radio" name="invite-default" checked={inviteDefault === 'block'} onChange={() => choose('block', 'Blocking all invites')} />
            Nobody — block all invites (the inviter is told they can't invite you)
          </label>
        </fieldset>
      )}
      <IgnoreInvitesFrom client={client} lists={lists} run={run} />
      {features?.inviteGlobs && <Globs client={client} current={lists.globs} run={run} />}
      <PolicyRooms client={client} rooms={lists.policyRooms} run={run} />
    </section>
  );
}

type Run = (label: string, fn: () => Promise<void>) => Promise<void>;

function IgnoreInvitesFrom({ client, lists, run }: { client: HushClient; lists: { users: string[]; servers: string[]; rooms: string[] }; run: Run }) {
  const [kind, setKind] = useState<RuleKind>('user');
  const [id, setId] = useState('');
  const typed = id.trim();
  const bad = typed !== '' && !VALID[kind](typed);
  const entries: { kind: RuleKind; id: string }[] = [...lists.users.map((u) => ({ kind: 'user' as const, id: u })), ...lists.servers.map((s) => ({ kind: 'server' as const, id: s })), ...lists.rooms.map((r) => ({ kind: 'room' as const, id: r }))];
  return (
    <fieldset>
      <legend>Ignore invites from</legend>
      <p class="hint">Their invites are hidden without telling them. A server's users are ignored entirely.</p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (!typed || bad) return;
          setId('');
          void run(`Ignoring invites from ${typed}`, () => client.inviteRules.ignoreInvitesFrom(kind, typed));
        }}
      >
        <label>
          Kind
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as RuleKind)}>
            <option value="user">User</option>
            <option value="server">Server</option>
            <option value="room">Room</option>
          </select>
        </label>
        <label>
          Id
          <input name="invite-ignore-id" placeholder={EXAMPLE[kind]} value={id} aria-invalid={bad} onInput={(e) => setId(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={!typed || bad}>
          Add
        </button>
      </form>
      {bad && <small class="error">Not a valid {kind === 'user' ? 'user id' : kind === 'server' ? 'server name' : 'room id'}, e.g. {EXAMPLE[kind]}</small>}
      {entries.length > 0 && (
        <ul class="list" aria-label="Ignored inviters, servers and rooms">
          {entries.map((e) => (
            <li key={`${e.kind}:${e.id}`}>
              <span>
                <span class="tag">{e.kind}</span> {e.id}
              </span>
              <button type="button" aria-label={`Remove ${e.id}`} onClick={() => run(`Removing ${e.id}`, () => client.inviteRules.unignoreInvitesFrom(e.kind, e.id))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

function Globs({ client, current, run }: { client: HushClient; current: Partial<Record<GlobField, string[]>>; run: Run }) {
  const [draft, setDraft] = useState<Partial<Record<GlobField, string>>>({});
  const text = (f: GlobField) => draft[f] ?? (current[f] ?? []).join('\n');
  const save = (e: Event) => {
    e.preventDefault();
    const lists: Partial<Record<GlobField, string[]>> = {};
    for (const { field } of GLOB_FIELDS) lists[field] = text(field).split('\n').map((s) => s.trim()).filter(Boolean);
    void run('Saving patterns', async () => {
      await client.inviteRules.setGlobs(lists);
      setDraft({});
    });
  };
  return (
    <fieldset>
      <legend>Patterns</legend>
      <p class="hint">
        One per line; <code>*</code> matches anything, <code>?</code> one character (e.g. <code>@*:spam.example</code>). "Always allow" wins over these patterns, not over people you ignore.
      </p>
      <form onSubmit={save} class="globs">
        {GLOB_FIELDS.map(({ field, label }) => (
          <label key={field}>
            {label}
            <textarea name={field} rows={2} value={text(field)} onInput={(e) => setDraft({ ...draft, [field]: e.currentTarget.value })} />
          </label>
        ))}
        <button type="submit">Save patterns</button>
      </form>
    </fieldset>
  );
}

function PolicyRooms({ client, rooms, run }: { client: HushClient; rooms: string[]; run: Run }) {
  const [room, setRoom] = useState('');
  const [everywhere, setEverywhere] = useState(false);
  const typed = room.trim();
  const bad = typed !== '' && !isRoomId(typed);
  return (
    <fieldset>
      <legend>Policy rooms</legend>
      <p class="hint">Follow a moderation list: invites from the users, servers and rooms it bans are hidden. You join the room to read it.</p>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (!typed || bad) return;
          setRoom('');
          void run(`Subscribing to ${typed}`, () => client.inviteRules.subscribePolicyRoom(typed, { ignoreUsers: everywhere }));
        }}
      >
        <label>
          Room id
          <input name="policy-room" placeholder="!list:example.org" value={room} aria-invalid={bad} onInput={(e) => setRoom(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" name="policy-everywhere" checked={everywhere} onChange={(e) => setEverywhere(e.currentTarget.checked)} />
          Also hide their messages everywhere
        </label>
        <button type="submit" disabled={!typed || bad}>
          Subscribe
        </button>
      </form>
      {bad && <small class="error">A room id looks like !abc:example.org</small>}
      {rooms.length > 0 && (
        <ul class="list" aria-label="Policy rooms">
          {rooms.map((r) => (
            <li key={r}>
              <span>{r}</span>
              <button type="button" aria-label={`Unsubscribe from ${r}`} onClick={() => run(`Unsubscribing from ${r}`, () => client.inviteRules.unsubscribePolicyRoom(r))}>
                Unsubscribe
              </button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
