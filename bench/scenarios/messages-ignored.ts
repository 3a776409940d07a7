// Scenario 5 — GET /rooms/{roomId}/messages?dir=b&limit=50 (from the end of the room) where 90% of
// the room's events come from a user the reader ignores, p50/p99 and how many events the page
// returned; and the same page with an empty ignore list. A server that fills its pages scans ~10×
// as many events when ignoring; one that filters after taking 50 returns ~5.

import { performance } from 'node:perf_hooks';
import { V3, enc, pool, round, summarize } from '../http.ts';
import { createRoom, join, registerUsers, sendText, setIgnoredUsers, type Figure, type ScenarioResult, type Target } from '../target.ts';

export async function messagesIgnored(t: Target): Promise<ScenarioResult> {
  const c = t.main;
  const [reader, friend, troll] = await registerUsers(t, 'pager', 3);
  const room = await createRoom(c, reader!);
  await join(c, friend!, room);
  await join(c, troll!, room);
  const events = t.quick ? 1_000 : 5_000;
  await pool(events, 8, (i) => sendText(c, i % 10 === 0 ? friend! : troll!, room, `message ${i}`));
  // Rounds alternate the empty and the one-user list, so that drift in the machine's load (it is
  // shared) does not land on one side only.
  const rounds = t.quick ? 2 : 4;
  const perRound = t.quick ? 25 : 50;
  const measure = async (ms: number[]) => {
    let got = 0;
    for (let i = 0; i < perRound; i++) {
      const t0 = performance.now();
      const j = await c.ok('GET', `${V3}/rooms/${enc(room)}/messages?dir=b&limit=50`, undefined, reader!.token);
      ms.push(performance.now() - t0);
      got = (j.chunk as unknown[]).length;
    }
    return got;
  };
  const plainMs: number[] = [];
  const ignoringMs: number[] = [];
  let plainGot = 0;
  let ignoringGot = 0;
  for (let r = 0; r < rounds; r++) {
    await setIgnoredUsers(c, reader!, []);
    plainGot = await measure(plainMs);
    await setIgnoredUsers(c, reader!, [troll!.userId]);
    ignoringGot = await measure(ignoringMs);
  }
  const plain = { ...summarize(plainMs), got: plainGot };
  const ignoring = { ...summarize(ignoringMs), got: ignoringGot };
  const figures: Figure[] = [
    { key: 'messages_ignored_p50_ms', label: '/messages page of 50, 90% of room ignored (p50)', value: ignoring.p50, unit: 'ms' },
    { key: 'messages_ignored_p99_ms', label: '/messages page of 50, 90% of room ignored (p99)', value: ignoring.p99, unit: 'ms' },
    { key: 'messages_ignored_events', label: '  … events in the page', value: ignoring.got, unit: 'events' },
    { key: 'messages_plain_p50_ms', label: '/messages page of 50, empty ignore list (p50)', value: plain.p50, unit: 'ms' },
    { key: 'messages_plain_p99_ms', label: '/messages page of 50, empty ignore list (p99)', value: plain.p99, unit: 'ms' },
    { key: 'messages_plain_events', label: '  … events in the page', value: plain.got, unit: 'events' },
    { key: 'messages_ratio_ignored_to_plain', label: '/messages p50: 90% ignored / empty list', value: round(ignoring.p50 / plain.p50), unit: 'x' },
  ];
  return { figures, notes: [`/messages: a room of ${events} events (10% from a friend, 90% from the ignored user), ${rounds * perRound} pages each, in ${rounds} alternating rounds`] };
}
