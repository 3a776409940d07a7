// Mute: a client-side, this-browser-only choice. A muted user's messages stay in the timeline but
// are collapsed; nothing is written to the account or told to the server (unlike ignoring).

import { useEffect, useState } from 'preact/hooks';

const key = (owner: string) => `hush.muted.${owner}`;
const listeners = new Set<() => void>();

export function mutedUsers(owner: string): Set<string> {
  try {
    const v = JSON.parse(localStorage.getItem(key(owner)) ?? '[]') as unknown;
    return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

export function setMuted(owner: string, userId: string, muted: boolean): void {
  const set = mutedUsers(owner);
  if (muted) set.add(userId);
  else set.delete(userId);
  localStorage.setItem(key(owner), JSON.stringify([...set]));
  for (const fn of listeners) fn();
}

/** The muted set, re-read whenever it changes. */
export function useMuted(owner: string): Set<string> {
  const [set, setSet] = useState(() => mutedUsers(owner));
  useEffect(() => {
    const fn = () => setSet(mutedUsers(owner));
    listeners.add(fn);
    return () => void listeners.delete(fn);
  }, [owner]);
  return set;
}
