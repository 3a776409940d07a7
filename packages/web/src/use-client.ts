// Re-renders a component whenever the client reports a change (sync, a room, the lists, invites).

import { useEffect, useState } from 'preact/hooks';
import type { HushClient } from '@hush/client';

export function useClientTick(client: HushClient): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const bump = () => setTick((t) => t + 1);
    const offs = [client.on('sync', bump), client.on('room', bump), client.on('ignoredUsersChanged', bump), client.on('invitesDiscarded', bump)];
    return () => offs.forEach((off) => off());
  }, [client]);
  return tick;
}

/** A readable message for anything an action threw. */
export function describeError(e: unknown): string {
  if (e && typeof e === 'object' && 'errcode' in e) {
    const m = e as { errcode: string; message?: string };
    if (m.errcode === 'M_INVITE_BLOCKED') return `They don't accept invites from you (${m.errcode}).`;
    return `${m.message ?? 'Request refused'} (${m.errcode})`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** A status line and a runner for one settings action: "label…", then "label: <done>", or the error. */
export function useAction(done: string): { status: string | null; run: (label: string, fn: () => Promise<void>) => Promise<void> } {
  const [status, setStatus] = useState<string | null>(null);
  const run = async (label: string, fn: () => Promise<void>) => {
    setStatus(`${label}…`);
    try {
      await fn();
      setStatus(`${label}: ${done}.`);
    } catch (e) {
      setStatus(describeError(e));
    }
  };
  return { status, run };
}
