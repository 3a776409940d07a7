// One room: the timeline (back-pagination, muted users collapsed, replies to and permalinks of
// ignored users' messages as placeholders, people by display name), typing and read receipts, the
// composer, the member list, Ignore / Mute from a message or a member, and Leave (asked first).

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { isUserId, type ClientEvent } from '@hush/protocol';
import type { HushClient, RoomView } from '@hush/client';
import { Confirm, IgnoreExplained } from './confirm.tsx';
import { setMuted, useMuted } from './mute.ts';
import { memberNames } from './names.ts';
import { roomHref } from './route.ts';
import { describeError, useClientTick } from './use-client.ts';
import { Avatar, ImageMessage, UploadImage } from './media.tsx';

const isMessage = (e: ClientEvent) => e.type === 'm.room.message' && e.state_key === undefined;
type NameOf = (userId: string) => string;

export function RoomPage({ client, roomId, eventId }: { client: HushClient; roomId: string; eventId: string | undefined }) {
  useClientTick(client);
  const room = client.store.room(roomId);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [alsoReport, setAlsoReport] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [leaving, setLeaving] = useState(false);

  if (!room || room.membership !== 'join') {
    return (
      <section>
        <h1>Room not available</h1>
        <p>You are not in {roomId}. Accept its invite, or ask to be invited.</p>
      </section>
    );
  }

  /** Ignore and, when asked, report: one action (the report goes to this server's administrators;
   *  ignoring first, so nothing more from them shows up while the report is sent). */
  const ignore = async (userId: string, report: boolean) => {
    setConfirming(null);
    setAlsoReport(false);
    setStatus(`Ignoring ${userId}…`);
    try {
      await client.ignoreUser(userId);
    } catch (e) {
      setStatus(describeError(e));
      return;
    }
    if (!report) {
      setStatus(`${userId} is ignored. Settings → Ignored users undoes it.`);
      return;
    }
    try {
      await client.reportUser(userId, `Ignored and reported from ${roomId}`);
      setStatus(`${userId} is ignored and reported to the server's administrators. Settings → Ignored users undoes the ignore.`);
    } catch (e) {
      setStatus(`${userId} is ignored, but the report failed: ${describeError(e)}`);
    }
  };

  const leave = async () => {
    setLeaving(false);
    setStatus('Leaving…');
    try {
      await client.leave(roomId);
      location.hash = '#/';
    } catch (e) {
      setStatus(describeError(e));
    }
  };

  const nameOf = memberNames(room.members());
  const title = room.name ?? roomId;
  return (
    <div class="room">
      <header class="room-head">
        <a class="back" href="#/" aria-label="Back to rooms">
          ← Rooms
        </a>
        <h1>{title}</h1>
        <InviteSomeone client={client} roomId={roomId} />
        <button type="button" class="leave" onClick={() => setLeaving(true)}>
          Leave
        </button>
      </header>
      {status && (
        <p class="banner" role="status">
          {status}
        </p>
      )}
      {eventId && <Permalink client={client} roomId={roomId} eventId={eventId} nameOf={nameOf} />}
      <div class="room-body">
        <Timeline client={client} room={room} nameOf={nameOf} onIgnore={setConfirming} />
        <Members client={client} room={room} nameOf={nameOf} onIgnore={setConfirming} />
      </div>
      <Typing client={client} room={room} nameOf={nameOf} />
      <Composer client={client} roomId={roomId} />
      {confirming && (
        <Confirm
          title={`Ignore ${confirming}?`}
          confirmLabel={alsoReport ? 'Ignore and report' : 'Ignore'}
          onConfirm={() => void ignore(confirming, alsoReport)}
          onCancel={() => (setConfirming(null), setAlsoReport(false))}
        >
          <IgnoreExplained userId={confirming} />
          <label class="check">
            <input type="checkbox" checked={alsoReport} onChange={(e) => setAlsoReport((e.target as HTMLInputElement).checked)} /> Also report them to the server's administrators
          </label>
        </Confirm>
      )}
      {leaving && (
        <Confirm title={`Leave ${title}?`} confirmLabel="Leave" onConfirm={() => void leave()} onCancel={() => setLeaving(false)}>
          <p>The room leaves your list and you stop receiving its messages; the others see that you left.</p>
          <p>If it is invite-only, coming back takes a new invite.</p>
        </Confirm>
      )}
    </div>
  );
}

function Timeline({ client, room, nameOf, onIgnore }: { client: HushClient; room: RoomView; nameOf: NameOf; onIgnore: (u: string) => void }) {
  const muted = useMuted(client.userId);
  const [opened, setOpened] = useState<Set<string>>(new Set());
  const [loading, setLoading] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  const events = room.timeline().filter((e) => isMessage(e) || e.type === 'm.room.member' || e.type === 'm.room.create');
  const last = events.at(-1)?.event_id;

  useLayoutEffect(() => {
    const el = list.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  });
  useEffect(() => {
    if (last && document.visibilityState === 'visible') void client.markRead(room.roomId, last).catch(() => undefined);
  }, [last]);

  const older = async () => {
    setLoading(true);
    pinned.current = false;
    try {
      await client.paginateBack(room.roomId);
    } finally {
      setLoading(false);
    }
  };

  // Consecutive messages from muted users fold into one "show" line.
  const rows: preact.JSX.Element[] = [];
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    if (isMessage(ev) && muted.has(ev.sender) && !opened.has(ev.event_id)) {
      const group = [ev];
      while (i + 1 < events.length && isMessage(events[i + 1]!) && muted.has(events[i + 1]!.sender) && !opened.has(events[i + 1]!.event_id)) group.push(events[++i]!);
      rows.push(
        <li key={`muted-${ev.event_id}`} class="muted-row">
          <button type="button" class="link" onClick={() => setOpened(new Set([...opened, ...group.map((g) => g.event_id)]))}>
            {group.length === 1 ? '1 message from a muted user' : `${group.length} messages from muted users`} — show
          </button>
        </li>,
      );
      continue;
    }
    rows.push(<Row key={ev.event_id} client={client} room={room} ev={ev} nameOf={nameOf} muted={muted.has(ev.sender)} onIgnore={onIgnore} />);
  }

  return (
    <section class="timeline-wrap" aria-label="Messages">
      {room.canPaginate && (
        <button type="button" class="older" onClick={older} disabled={loading}>
          {loading ? 'Loading…' : 'Load earlier messages'}
        </button>
      )}
      <ol class="timeline" ref={list} aria-live="polite" onScroll={(e) => (pinned.current = e.currentTarget.scrollTop + e.currentTarget.clientHeight >= e.currentTarget.scrollHeight - 40)}>
        {rows}
      </ol>
    </section>
  );
}

function Row({ client, room, ev, nameOf, muted, onIgnore }: { client: HushClient; room: RoomView; ev: ClientEvent; nameOf: NameOf; muted: boolean; onIgnore: (u: string) => void }) {
  const readers = room.receipts(ev.event_id).filter((u) => u !== client.userId && u !== ev.sender);
  if (!isMessage(ev)) {
    const c = ev.content as { membership?: string; displayname?: string };
    const target = nameOf(ev.state_key ?? '');
    const what = ev.type === 'm.room.create' ? 'created the room' : c.membership === 'join' ? 'joined' : c.membership === 'invite' ? `invited ${target}` : c.membership === 'leave' ? (ev.state_key === ev.sender ? 'left' : `removed ${target}`) : c.membership === 'ban' ? `banned ${target}` : 'changed membership';
    return (
      <li class="notice" data-event={ev.event_id}>
        {nameOf(ev.sender)} {what}
      </li>
    );
  }
  const content = ev.content as { body?: unknown; msgtype?: unknown; url?: unknown; 'm.relates_to'?: { 'm.in_reply_to'?: { event_id?: unknown } } };
  const avatar = room.members().find((m) => m.userId === ev.sender)?.avatarUrl;
  const replyTo = content['m.relates_to']?.['m.in_reply_to']?.event_id;
  const mine = ev.sender === client.userId;
  return (
    <li class="message" data-event={ev.event_id} data-sender={ev.sender}>
      <div class="meta">
        <Avatar client={client} uri={avatar} name={nameOf(ev.sender)} />
        <span class="sender" title={ev.sender}>
          {nameOf(ev.sender)}
        </span>
        <a class="time" href={roomHref(room.roomId, ev.event_id)} title="Link to this message">
          {new Date(ev.origin_server_ts).toLocaleTimeString()}
        </a>
        {!mine && (
          <span class="actions">
            <button type="button" class="small" aria-label={`Ignore ${ev.sender}`} onClick={() => onIgnore(ev.sender)}>
              Ignore
            </button>
            <button type="button" class="small" aria-label={`${muted ? 'Unmute' : 'Mute'} ${ev.sender}`} onClick={() => setMuted(client.userId, ev.sender, !muted)}>
              {muted ? 'Unmute' : 'Mute'}
            </button>
          </span>
        )}
      </div>
      {typeof replyTo === 'string' && <Quoted client={client} roomId={room.roomId} eventId={replyTo} nameOf={nameOf} />}
      {content.msgtype === 'm.image' ? <ImageMessage client={client} content={content} /> : <p class="body">{typeof content.body === 'string' ? content.body : ''}</p>}
      {readers.length > 0 && <p class="receipts">Seen by {readers.map(nameOf).join(', ')}</p>}
    </li>
  );
}

type Fetched = { state: 'loading' } | { state: 'ok'; ev: ClientEvent } | { state: 'ignored'; sender: string | undefined } | { state: 'missing'; why: string };

/** One event by id, as the server answers it (MSC4406: M_SENDER_IGNORED names the ignored sender). */
function useEvent(client: HushClient, roomId: string, eventId: string): Fetched {
  const held = client.store.room(roomId)?.timeline().find((e) => e.event_id === eventId);
  const [fetched, setFetched] = useState<Fetched>({ state: 'loading' });
  const ignoredCount = client.ignoredUsers().length;
  useEffect(() => {
    if (held) return;
    let live = true;
    client.fetchEvent(roomId, eventId).then(
      (ev) => live && setFetched({ state: 'ok', ev }),
      (e: unknown) => {
        if (!live) return;
        const err = e as { errcode?: string; sender?: string };
        if (err.errcode === 'M_SENDER_IGNORED') setFetched({ state: 'ignored', sender: err.sender });
        else setFetched({ state: 'missing', why: describeError(e) });
      },
    );
    return () => void (live = false);
  }, [roomId, eventId, held === undefined, ignoredCount]);
  return held ? { state: 'ok', ev: held } : fetched;
}

function Quoted({ client, roomId, eventId, nameOf }: { client: HushClient; roomId: string; eventId: string; nameOf: NameOf }) {
  const f = useEvent(client, roomId, eventId);
  if (f.state === 'loading') return <blockquote class="quote muted">…</blockquote>;
  if (f.state === 'ignored') return <blockquote class="quote placeholder">In reply to a message from {f.sender ?? 'someone'} — you ignore them.</blockquote>;
  if (f.state === 'missing') return <blockquote class="quote placeholder">In reply to a message that can't be shown.</blockquote>;
  const body = (f.ev.content as { body?: unknown }).body;
  return (
    <blockquote class="quote">
      <span class="sender">{nameOf(f.ev.sender)}</span> {typeof body === 'string' ? body.slice(0, 200) : ''}
    </blockquote>
  );
}

function Permalink({ client, roomId, eventId, nameOf }: { client: HushClient; roomId: string; eventId: string; nameOf: NameOf }) {
  const f = useEvent(client, roomId, eventId);
  return (
    <section class="permalink" aria-label="Linked message">
      <h2>Linked message</h2>
      {f.state === 'loading' ? (
        <p>Loading…</p>
      ) : f.state === 'ignored' ? (
        <p class="placeholder">This message is from {f.sender ?? 'a user'} whom you ignore. Un-ignore them in Settings → Ignored users to see it.</p>
      ) : f.state === 'missing' ? (
        <p class="placeholder">This message can't be shown ({f.why}).</p>
      ) : (
        <p>
          <span class="sender">{nameOf(f.ev.sender)}</span>: {String((f.ev.content as { body?: unknown }).body ?? f.ev.type)}
        </p>
      )}
      <a href={roomHref(roomId)}>Close</a>
    </section>
  );
}

function Members({ client, room, nameOf, onIgnore }: { client: HushClient; room: RoomView; nameOf: NameOf; onIgnore: (u: string) => void }) {
  const muted = useMuted(client.userId);
  const members = room.members().filter((m) => m.membership === 'join' || m.membership === 'invite');
  return (
    <details class="members" open>
      <summary>Members ({members.length})</summary>
      <ul>
        {members.map((m) => (
          <li key={m.userId} data-member={m.userId}>
            <span class="who" title={m.userId}>
              {nameOf(m.userId)}
              {m.membership === 'invite' && <span class="muted"> (invited)</span>}
              {muted.has(m.userId) && <span class="muted"> (muted)</span>}
            </span>
            {m.userId !== client.userId && (
              <span class="row">
                <button type="button" class="small" aria-label={`Ignore ${m.userId}`} onClick={() => onIgnore(m.userId)}>
                  Ignore
                </button>
                <button type="button" class="small" aria-label={`${muted.has(m.userId) ? 'Unmute' : 'Mute'} ${m.userId}`} onClick={() => setMuted(client.userId, m.userId, !muted.has(m.userId))}>
                  {muted.has(m.userId) ? 'Unmute' : 'Mute'}
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
      <p class="hint">
        <strong>Mute</strong> folds someone's messages away on this browser only; they still arrive and you can open them. <strong>Ignore</strong> tells your server to hide everything from them —
        messages, invites, typing, receipts — on all your devices.
      </p>
    </details>
  );
}

function Typing({ client, room, nameOf }: { client: HushClient; room: RoomView; nameOf: NameOf }) {
  const who = room.typing().filter((u) => u !== client.userId).map(nameOf);
  return (
    <p class="typing" aria-live="polite">
      {who.length === 0 ? '\u00a0' : `${who.join(', ')} ${who.length === 1 ? 'is' : 'are'} typing…`}
    </p>
  );
}

function Composer({ client, roomId }: { client: HushClient; roomId: string }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const send = async (e: Event) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText('');
    try {
      await client.sendText(roomId, body);
      setError(null);
    } catch (err) {
      setText(body);
      setError(describeError(err));
    }
  };
  return (
    <form class="composer" onSubmit={send}>
      <label class="sr-only" for="composer">
        Message
      </label>
      <input id="composer" name="message" autocomplete="off" placeholder="Write a message…" value={text} onInput={(e) => setText(e.currentTarget.value)} maxLength={4000} />
      <button type="submit">Send</button>
      <UploadImage client={client} roomId={roomId} onError={setError} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function InviteSomeone({ client, roomId }: { client: HushClient; roomId: string }) {
  const [who, setWho] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const bad = who.trim() !== '' && !isUserId(who.trim());
  const submit = async (e: Event) => {
    e.preventDefault();
    if (bad || !who.trim()) return;
    setStatus('Inviting…');
    try {
      await client.invite(roomId, who.trim());
      setStatus(`Invited ${who.trim()}.`);
      setWho('');
    } catch (err) {
      setStatus(describeError(err));
    }
  };
  return (
    <form class="invite-form" onSubmit={submit}>
      <label>
        Invite
        <input name="invite" placeholder="@friend:example.org" value={who} aria-invalid={bad} onInput={(e) => setWho(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={bad}>Invite</button>
      {status && <span role="status" class="status">{status}</span>}
    </form>
  );
}
