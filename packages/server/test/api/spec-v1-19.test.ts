// Client-server changes of spec v1.19 (decision 0002's behaviour review): `unsigned.replaces_state`,
// the id of the state event a state event replaced, on every read path that formats events.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('v119_alice');
});
after(() => t.close());

describe('unsigned.replaces_state (v1.19)', () => {
  test('a state event names the one it replaced; the first of its key and non-state events have none', async () => {
    const room = await r.createRoom(alice, { name: 'First' });
    const since = (await r.sync(alice)).next_batch;
    const second = await r.setState(alice, room, 'm.room.name', { name: 'Second' });
    const message = await r.send(alice, room, 'words');

    const ev = (await t.req('GET', `${V3}/rooms/${enc(room)}/event/${enc(second)}`, { token: alice.token })).json;
    assert.match(ev.unsigned.replaces_state, /^\$/);
    assert.deepEqual(ev.unsigned.prev_content, { name: 'First' });

    const timeline = (await r.sync(alice, { since })).rooms.join[room].timeline.events as { event_id: string; unsigned?: Record<string, unknown> }[];
    assert.equal(timeline.find((e) => e.event_id === second)?.unsigned?.['replaces_state'], ev.unsigned.replaces_state, 'in /sync');
    assert.equal(timeline.find((e) => e.event_id === message)?.unsigned?.['replaces_state'], undefined, 'not on a message');

    const page = (await t.req('GET', `${V3}/rooms/${enc(room)}/messages?dir=b&limit=50`, { token: alice.token })).json.chunk as { type: string; event_id: string; unsigned?: Record<string, unknown> }[];
    assert.equal(page.find((e) => e.event_id === second)?.unsigned?.['replaces_state'], ev.unsigned.replaces_state, 'in /messages');
    const create = page.find((e) => e.type === 'm.room.create');
    assert.ok(create);
    assert.equal(create.unsigned?.['replaces_state'], undefined, 'the first event of its key replaces nothing');
    const firstInPage = page.find((e) => e.type === 'm.room.name' && e.event_id !== second);
    assert.equal(firstInPage?.event_id, ev.unsigned.replaces_state, 'it is the earlier name event');
  });
});
