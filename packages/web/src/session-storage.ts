// Where the web client keeps its session between page loads (localStorage; this browser only).

import type { Session } from '@hush/client';

const KEY = 'hush.session';

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<Session> | null;
    if (s && typeof s.homeserver === 'string' && typeof s.userId === 'string' && typeof s.accessToken === 'string' && typeof s.deviceId === 'string') {
      return s as Session;
    }
  } catch {
    // unreadable: start logged out
  }
  return null;
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}
