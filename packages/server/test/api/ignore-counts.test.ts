// Property test: the two forms of the ignore rule agree. Unread counts come from a grouped SQL
// count with ignored senders dropped; the timeline comes from the per-event verdict. For random
// rooms and every subset of ignored senders, the count equals the number of notifying events the
// verdict lets through, and state events of ignored senders always stay in the timeline.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let viewer: Session;
let senders: Session[];

before(async () => {
  t = await createTestApp();
  r = roomSteps(t);
  viewer = await t.register('viewer');
  senders = [await t.register('s0'), await t.register('s1'), await t.register('s2')];
});
after(() => t.close());

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: counts and timelines agree for every subset of ignored senders`, async () => {
    const rand = rng(seed);
    const roomId = await r.createRoom(viewer, { preset: 'public_chat', power_level_content_override: { state_default: 0 } });
    for (const s of senders) await r.join(s, roomId);
    const sent: { sender: string; kind: 'message' | 'notice' | 'state' | 'other'; id: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const s = senders[Math.floor(rand() * senders.length)] as Session;
      const roll = rand();
      let id: string;
      let kind: (typeof sent)[number]['kind'];
      if (roll < 0.6) {
        id = await r.send(s, roomId, `m${i}`);
        kind = 'message';
      } else if (roll < 0.75) {
        id = await r.setState(s, roomId, 'org.example.state', { i }, `k${i}`);
        kind = 'state';
      } else {
        const res = await t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/org.example.custom/c${seed}_${i}`, { token: s.token, body: { i } });
        id = res.json.event_id;
        kind = 'other';
      }
      sent.push({ sender: s.userId, kind, id });
    }
    for (let mask = 0; mask < 8; mask++) {
      const ignored = senders.filter((_, i) => mask & (1 << i)).map((s) => s.userId);
      await r.ignore(viewer, ignored);
      const s = await r.sync(viewer, { filter: JSON.stringify({ room: { timeline: { limit: 100 } } }) });
      const room = s.rooms.join[roomId];
      const expectedCount = sent.filter((e) => e.kind === 'message' && !ignored.includes(e.sender)).length;
      assert.equal(room.unread_notifications.notification_count, expectedCount, `mask ${mask}`);
      const timelineIds = new Set(room.timeline.events.map((e: { event_id: string }) => e.event_id));
      for (const e of sent) {
        const shouldShow = e.kind === 'state' || !ignored.includes(e.sender);
        assert.equal(timelineIds.has(e.id), shouldShow, `mask ${mask}: ${e.kind} from ${e.sender}`);
      }
    }
    await r.ignore(viewer, []);
  });
}
