// Client-server changes of spec v1.18 (decision 0002's behaviour review): an m.room.redaction sent
// through PUT /rooms/{roomId}/send/{eventType}/{txnId} is applied as PUT /redact applies one, in
// every room version (MSC4169): its target is redacted, power is checked, a retry is one event.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('v118_alice');
  bob = await t.register('v118_bob');
});
after(() => t.close());

const sendRedaction = (s: Session, room: string, txn: string, content: unknown) =>
  t.req('PUT', `${V3}/rooms/${enc(room)}/send/m.room.redaction/${txn}`, { token: s.token, body: content });

describe('m.room.redaction through PUT /send (v1.18)', () => {
  for (const version of ['10', '11']) {
    test(`room version ${version}: the target is redacted, the redaction names it where the version says`, async () => {
      const room = await r.createRoom(alice, { room_version: version, preset: 'public_chat' });
      await r.join(bob, room);
      const target = await r.send(bob, room, 'regrettable');
      const res = await sendRedaction(bob, room, `red${version}`, { redacts: target, reason: 'oops' });
      assert.equal(res.status, 200, res.text);
      const again = await sendRedaction(bob, room, `red${version}`, { redacts: target, reason: 'oops' });
      assert.equal(again.json.event_id, res.json.event_id, 'a retry is the same event');

      const got = await t.req('GET', `${V3}/rooms/${enc(room)}/event/${enc(target)}`, { token: alice.token });
      assert.deepEqual(got.json.content, {}, 'the target is redacted');
      assert.equal(got.json.unsigned.redacted_because.event_id, res.json.event_id);

      const red = await t.req('GET', `${V3}/rooms/${enc(room)}/event/${enc(res.json.event_id)}`, { token: alice.token });
      assert.equal(red.json.content.reason, 'oops');
      assert.equal(version === '11' ? red.json.content.redacts : red.json.redacts, target);
    });
  }

  test('power is checked as for /redact; a missing or bad redacts is 400 M_BAD_JSON', async () => {
    const room = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, room);
    const mine = await r.send(alice, room, 'alice says');
    const denied = await sendRedaction(bob, room, 'deny1', { redacts: mine });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.errcode, 'M_FORBIDDEN');
    const stillThere = await t.req('GET', `${V3}/rooms/${enc(room)}/event/${enc(mine)}`, { token: alice.token });
    assert.equal(stillThere.json.content.body, 'alice says');
    assert.equal((await sendRedaction(alice, room, 'own1', { redacts: mine })).status, 200, 'alice redacts her own');
    for (const body of [{}, { redacts: 5 }, { redacts: 'not-an-event-id' }]) {
      const bad = await sendRedaction(alice, room, `bad${JSON.stringify(body).length}`, body);
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.json.errcode, 'M_BAD_JSON');
    }
    const unknown = await sendRedaction(alice, room, 'unknown1', { redacts: '$nosuchevent' });
    assert.equal(unknown.status, 404);
  });
});
