// The sidebar: pending invites (accept / decline), joined rooms with unread counts, and a form to
// create a room and invite someone (emptied and folded once the room exists).

import { useState } from 'preact/hooks';
import { isUserId } from '@hush/protocol';
import type { HushClient } from '@hush/client';
import { roomHref } from './route.ts';
import { describeError, useClientTick } from './use-client.ts';

export function RoomList({ client, current }: { client: HushClient; current: string | undefined }) {
  useClientTick(client);
  const [error, setError] = useState<string | null>(null);
  const invites = client.pendingInvites();
  const rooms = client.store.rooms().filter((r) => r.membership === 'join');

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <>
      {invites.length > 0 && (
        <section aria-labelledby="invites-h">
          <h2 id="invites-h">Invites</h2>
          <ul class="invites">
            {invites.map((i) => (
              <li key={i.roomId} data-room={i.roomId}>
                <span class="invite-name">{i.name ?? i.roomId}</span>
                <span class="muted">from {i.inviter}</span>
                <span class="row">
                  <button type="button" onClick={() => act(async () => (location.hash = roomHref(await client.join(i.roomId))))}>Accept</button>
                  <button type="button" onClick={() => act(() => client.leave(i.roomId))}>Decline</button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="rooms-h">
        <h2 id="rooms-h">Rooms</h2>
        {rooms.length === 0 ? (
          <p class="muted">No rooms yet.</p>
        ) : (
          <ul class="rooms">
            {rooms.map((r) => {
              const n = r.unread.notification_count;
              return (
                <li key={r.roomId}>
                  <a href={roomHref(r.roomId)} aria-current={r.roomId === current ? 'page' : undefined} data-room={r.roomId}>
                    <span>{r.name ?? r.roomId}</span>
                    {n > 0 && (
                      <span class="badge" aria-label={`${n} unread`}>
                        {n}
                      </span>
                    )}
                  </a>
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {error && <p class="error" role="alert">{error}</p>}
      <CreateRoom client={client} />
    </>
  );
}

function CreateRoom({ client }: { client: HushClient }) {
  const [name, setName] = useState('');
  const [invitee, setInvitee] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const bad = invitee.trim() !== '' && !isUserId(invitee.trim());

  const submit = async (e: Event) => {
    e.preventDefault();
    if (bad || busy) return;
    const who = invitee.trim();
    setStatus('Creating…');
    setBusy(true);
    try {
      const roomId = await client.createRoom({ name: name.trim() || undefined, preset: 'private_chat' });
      // The room exists: the form empties now, so a second Create cannot make it twice.
      setName('');
      setInvitee('');
      location.hash = roomHref(roomId);
      if (who) {
        try {
          await client.invite(roomId, who);
        } catch (err) {
          setStatus(`Room created, but inviting ${who} failed: ${describeError(err)}`);
          return;
        }
      }
      setStatus(null);
      setOpen(false);
    } catch (err) {
      setStatus(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="create" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>New room</summary>
      <form onSubmit={submit}>
        <label>
          Name
          <input name="room-name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={255} />
        </label>
        <label>
          Invite (optional)
          <input name="invitee" placeholder="@friend:example.org" value={invitee} aria-invalid={bad} aria-describedby="invitee-hint" onInput={(e) => setInvitee(e.currentTarget.value)} />
        </label>
        <small id="invitee-hint" class={bad ? 'error' : 'muted'}>{bad ? 'A user id looks like @name:server' : 'A user id, like @name:server'}</small>
        <button type="submit" disabled={bad || busy}>
          Create
        </button>
        {status && <p role="status">{status}</p>}
      </form>
    </details>
  );
}
