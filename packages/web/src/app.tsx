// The app shell: logged out → the login form; logged in → a HushClient running its sync loop, the
// navigation (rooms, the Settings menu) and the page the hash route names.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { HushClient, logout, type ServerFeatures, type Session } from '@hush/client';
import { Login } from './login.tsx';
import { RoomList } from './room-list.tsx';
import { RoomPage } from './room.tsx';
import { IgnoredUsersPage } from './settings-ignored.tsx';
import { InviteSettingsPage } from './settings-invites.tsx';
import { HiddenInvitesPage } from './hidden-invites.tsx';
import { loadSession, saveSession } from './session-storage.ts';
import { useRoute, type Route } from './route.ts';
import { describeError } from './use-client.ts';

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const done = (s: Session | null) => {
    saveSession(s);
    setSession(s);
  };
  if (!session) return <Login onLogin={done} />;
  return <LoggedIn key={session.accessToken} session={session} onLogout={() => done(null)} />;
}

function LoggedIn({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const client = useMemo(() => new HushClient(session, { syncTimeoutMs: 30_000 }), [session]);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [features, setFeatures] = useState<ServerFeatures | null>(null);
  const route = useRoute();

  useEffect(() => {
    let live = true;
    const offError = client.on('error', ({ error: e }) => {
      if (!live) return;
      if ((e as { errcode?: string })?.errcode === 'M_UNKNOWN_TOKEN') onLogout();
      else setError(describeError(e));
    });
    const offSync = client.on('sync', () => live && setError(null));
    client.start().then(
      () => live && setReady(true),
      (e: unknown) => live && setError(describeError(e)),
    );
    client.serverFeatures().then(
      (f) => live && setFeatures(f),
      () => live && setFeatures({ versions: [], invitePermission: false, denyPublic: false, inviteGlobs: false }),
    );
    return () => {
      live = false;
      offError();
      offSync();
      client.stop();
    };
  }, [client]);

  const signOut = async () => {
    client.stop();
    await logout(session).catch(() => undefined);
    onLogout();
  };

  const current = route.page === 'room' ? route.roomId : undefined;
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="topbar">
        <a class="brand" href="#/">Hush</a>
        <SettingsMenu route={route} />
        <span class="me" title={session.homeserver}>{session.userId}</span>
        <button type="button" onClick={signOut}>Sign out</button>
      </header>
      {error && <p class="banner" role="alert">{error}</p>}
      <div class={`layout ${route.page === 'home' ? 'at-home' : 'at-page'}`}>
        <aside class="sidebar" aria-label="Rooms and invites">
          {ready ? <RoomList client={client} current={current} /> : <p aria-live="polite">Loading…</p>}
        </aside>
        <main id="main" tabIndex={-1}>
          {!ready ? null : route.page === 'room' ? (
            <RoomPage key={route.roomId} client={client} roomId={route.roomId} eventId={route.eventId} />
          ) : route.page === 'ignored' ? (
            <IgnoredUsersPage client={client} />
          ) : route.page === 'invites' ? (
            <InviteSettingsPage client={client} features={features} />
          ) : route.page === 'hidden' ? (
            <HiddenInvitesPage client={client} />
          ) : (
            <section class="welcome">
              <h1>Welcome</h1>
              <p>Pick a room, or start one. If someone is bothering you, open the room and choose <strong>Ignore</strong> on one of their messages or in the member list.</p>
            </section>
          )}
        </main>
      </div>
    </div>
  );
}

/** Settings → Ignored users / Invites: a disclosure button over the two links (closed again by a
 *  choice, Escape or a click elsewhere; Escape returns focus to the button). */
function SettingsMenu({ route }: { route: Route }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  // Read by listeners installed once at mount (an effect per open state could start listening only
  // after a key or click already happened).
  const isOpen = useRef(false);
  isOpen.current = open;
  useEffect(() => setOpen(false), [route]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || !isOpen.current) return;
      setOpen(false);
      button.current?.focus();
    };
    const onClick = (e: MouseEvent) => {
      if (isOpen.current && !box.current?.contains(e.target as Node)) setOpen(false);
    };
    addEventListener('keydown', onKey);
    addEventListener('click', onClick);
    return () => {
      removeEventListener('keydown', onKey);
      removeEventListener('click', onClick);
    };
  }, []);
  const inSettings = route.page === 'ignored' || route.page === 'invites' || route.page === 'hidden';
  return (
    <div class="menu" ref={box}>
      <button type="button" ref={button} aria-expanded={open} aria-controls="settings-menu" class={inSettings ? 'current' : undefined} onClick={() => setOpen(!open)}>
        Settings
      </button>
      <nav id="settings-menu" aria-label="Settings" hidden={!open} onClick={() => setOpen(false)}>
        <a href="#/settings/ignored" aria-current={route.page === 'ignored' ? 'page' : undefined}>Ignored users</a>
        <a href="#/settings/invites" aria-current={route.page === 'invites' || route.page === 'hidden' ? 'page' : undefined}>Invites</a>
      </nav>
    </div>
  );
}
