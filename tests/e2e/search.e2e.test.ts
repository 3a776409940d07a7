// Server-side search against a real `hush serve` (cells H1–H3 of docs/ignore-semantics.md): an
// ignored user's messages are never found and pages stay full, their state events are; `count`
// counts what the searcher may see; un-ignoring finds them again.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, type ClientSession, type HushProcess } from '../support/server.ts';
import { startSuiteHush } from '../support/postgres.ts';
import { steps, V3, type Json } from './support/steps.ts';

let hush: HushProcess;
let w: ReturnType<typeof steps>;

before(async () => {
  hush = await startSuiteHush();
  w = steps(client(hush.baseUrl));
});
after(() => hush?.stop());

async function search(s: ClientSession, criteria: Record<string, unknown>, nextBatch?: string): Promise<Json> {
  const q = nextBatch === undefined ? '' : `?next_batch=${encodeURIComponent(nextBatch)}`;
  const r = await w.http.request('POST', `${V3}/search${q}`, { token: s.token, body: { search_categories: { room_events: criteria } } });
  assert.equal(r.status, 200, r.text);
  return r.json.search_categories.room_events;
}
const found = (res: Json): string[] => res.results.map((x: Json) => x.result.content.body ?? x.result.content.topic);

describe('H — server-side search and ignoring', () => {
  test('H1 search: an ignored user\'s messages are never found; pages are full; count is of visible events only', async () => {
    const { alice, bob, carol, room } = await w.trio('h1');
    for (let i = 0; i < 18; i++) await w.send(bob, room, `h1 walrus from bob ${i}`);
    for (let i = 0; i < 4; i++) await w.send(carol, room, `h1 walrus from carol ${i}`);
    for (let i = 0; i < 9; i++) await w.send(bob, room, `h1 walrus again from bob ${i}`);
    await w.ignore(alice, [bob.userId]);
    const seen: string[] = [];
    let next: string | undefined;
    let count: number | undefined;
    do {
      const page = await search(alice, { search_term: 'walrus', order_by: 'recent', filter: { limit: 3 } }, next);
      count ??= page.count;
      if (page.next_batch !== undefined) assert.equal(page.results.length, 3, 'a page before the end is full');
      seen.push(...found(page));
      next = page.next_batch;
    } while (next !== undefined);
    assert.deepEqual(seen, [3, 2, 1, 0].map((i) => `h1 walrus from carol ${i}`));
    assert.equal(count, 4);
    const ranked = await search(alice, { search_term: 'walrus' });
    assert.ok(found(ranked).every((b) => b.includes('carol')), found(ranked).join(' | '));
  });

  test('H2 search: an ignored user\'s state event (a topic) is found', async () => {
    const { alice, bob, room } = await w.trio('h2');
    await w.setState(bob, room, 'm.room.topic', { topic: 'h2 narwhal topic' });
    await w.send(bob, room, 'h2 narwhal message');
    await w.ignore(alice, [bob.userId]);
    const res = await search(alice, { search_term: 'narwhal' });
    assert.deepEqual(found(res), ['h2 narwhal topic']);
    assert.equal(res.count, 1);
  });

  test('H3 search: after un-ignoring, the user\'s messages are found again', async () => {
    const { alice, bob, room } = await w.trio('h3');
    await w.send(bob, room, 'h3 dugong');
    await w.ignore(alice, [bob.userId]);
    assert.deepEqual(found(await search(alice, { search_term: 'dugong' })), []);
    await w.ignore(alice, []);
    assert.deepEqual(found(await search(alice, { search_term: 'dugong' })), ['h3 dugong']);
  });
});
