// Group commit and crashes (decision 0042): `hush serve` on SQLite killed with SIGKILL in the middle
// of a burst of concurrent sends; after a restart on the same file every send that was answered 200
// is there (an answer leaves only after the commit holding its event), a retry of an answered
// transaction id gets the same event back, and every stored event counts in the other member's
// unread notifications and can be found by search — push actions and search index rows are held
// in memory and written in batches (decision 0047), so the ones the kill lost are recorded again
// at start-up.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, startHush, type HushProcess } from '../support/server.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const dir = mkdtempSync(join(tmpdir(), 'hush-group-commit-crash-'));
const database = join(dir, 'hush.sqlite');
const running: HushProcess[] = [];
after(async () => {
  for (const h of running) await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL during a burst of sends: every answered event is stored after a restart', async () => {
  const first = await startHush({ database });
  running.push(first);
  const c = client(first.baseUrl);
  const alice = await c.register('alice');
  const bob = await c.register('bob');
  const room = await c.request('POST', `${V3}/createRoom`, { token: alice.token, body: { preset: 'public_chat' } });
  assert.equal(room.status, 200, room.text);
  const roomId = room.json.room_id as string;
  assert.equal((await c.request('POST', `${V3}/join/${enc(roomId)}`, { token: bob.token, body: {} })).status, 200);

  const answered = new Map<string, { token: string; eventId: string }>(); // txn path → answer
  let killed = false;
  let n = 0;
  const worker = async (w: number) => {
    const s = w % 2 ? bob : alice;
    while (!killed) {
      const txn = `crash-${w}-${n++}`;
      const path = `${V3}/rooms/${enc(roomId)}/send/m.room.message/${txn}`;
      try {
        const r = await c.request('PUT', path, { token: s.token, body: { msgtype: 'm.text', body: txn } });
        if (r.status === 200) answered.set(path, { token: s.token, eventId: r.json.event_id });
      } catch {
        return; // the connection died with the process
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, w) => worker(w));
  while (answered.size < 150) await new Promise((r) => setTimeout(r, 20));
  process.kill(first.pid, 'SIGKILL');
  killed = true;
  await Promise.all(workers);
  await first.stop();

  const second = await startHush({ database });
  running.push(second);
  const c2 = client(second.baseUrl);
  const stored = new Set<string>();
  /** Messages alice sent: each one notifies bob (a room of two). */
  let fromAlice = 0;
  let messages = 0;
  let from: string | undefined;
  for (;;) {
    const page = await c2.request('GET', `${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=500${from ? `&from=${enc(from)}` : ''}`, { token: alice.token });
    assert.equal(page.status, 200, page.text);
    for (const e of page.json.chunk as { event_id: string; type: string; sender: string }[]) {
      stored.add(e.event_id);
      if (e.type === 'm.room.message' && e.sender === alice.userId) fromAlice++;
      if (e.type === 'm.room.message') messages++;
    }
    if (!page.json.end || page.json.chunk.length === 0) break;
    from = page.json.end;
  }
  const missing = [...answered.values()].filter((a) => !stored.has(a.eventId));
  assert.deepEqual(missing, [], `${missing.length} of ${answered.size} answered sends are gone after the kill`);
  // Bob never read the room: every message of alice's is an unread notification (under the cap).
  assert.ok(fromAlice > 50 && fromAlice < 1000, `alice's messages: ${fromAlice}`);
  const sync = await c2.request('GET', `${V3}/sync?timeout=0`, { token: bob.token });
  assert.equal(sync.status, 200, sync.text);
  assert.equal(sync.json.rooms.join[roomId].unread_notifications.notification_count, fromAlice);
  const notifications = await c2.request('GET', `${V3}/notifications?limit=1000`, { token: bob.token });
  assert.equal(notifications.status, 200, notifications.text);
  assert.equal(notifications.json.notifications.length, Math.min(fromAlice, 100));
  // Every stored message is in the search index ("crash" is in every body); the last answered
  // ones (at most 16 sends were in flight after them) were most likely still held when it died.
  const search = await c2.request('POST', `${V3}/search`, { token: bob.token, body: { search_categories: { room_events: { search_term: 'crash', order_by: 'recent', filter: { limit: 50 } } } } });
  assert.equal(search.status, 200, search.text);
  assert.equal(search.json.search_categories.room_events.count, messages);
  const found = new Set((search.json.search_categories.room_events.results as { result: { event_id: string } }[]).map((x) => x.result.event_id));
  for (const a of [...answered.values()].slice(-3)) assert.ok(found.has(a.eventId), `the answered ${a.eventId} is found by search`);
  // A retry of answered transaction ids: the same events, no new ones.
  for (const [path, a] of [...answered].slice(-5)) {
    const again = await c2.request('PUT', path, { token: a.token, body: { msgtype: 'm.text', body: 'retry' } });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.event_id, a.eventId);
  }
});
