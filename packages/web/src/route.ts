// The hash route: #/ (rooms), #/room/<roomId>[/<eventId>] (a room, or a permalink into it),
// #/settings/ignored, #/settings/invites, #/settings/hidden.

import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'home' }
  | { page: 'room'; roomId: string; eventId?: string }
  | { page: 'ignored' }
  | { page: 'invites' }
  | { page: 'hidden' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
  if (parts[0] === 'room' && parts[1]) return parts[2] ? { page: 'room', roomId: parts[1], eventId: parts[2] } : { page: 'room', roomId: parts[1] };
  if (parts[0] === 'settings' && parts[1] === 'ignored') return { page: 'ignored' };
  if (parts[0] === 'settings' && parts[1] === 'invites') return { page: 'invites' };
  if (parts[0] === 'settings' && parts[1] === 'hidden') return { page: 'hidden' };
  return { page: 'home' };
}

export const roomHref = (roomId: string, eventId?: string) => `#/room/${encodeURIComponent(roomId)}${eventId ? `/${encodeURIComponent(eventId)}` : ''}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const fn = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', fn);
    return () => removeEventListener('hashchange', fn);
  }, []);
  return route;
}
