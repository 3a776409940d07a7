// Redactions across federation (issue 22, decision 0033), in process: a remote redaction accepted
// over /send takes effect on its target (the sender's own server, or a sender with the redact
// level) and not otherwise; our reads for other servers (/event, /backfill) give a redacted event
// as the redaction left it, never its original content.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventIdFor } from '../../src/services/events/crypto.ts';
import { type Ctx, V3, enc, onHead, remoteJoin, sendPdu, setup } from '../federation-fixture.ts';

/** A v11 PDU of BOB's on the room's head, sent over /send; its id. */
async function remotePdu(c: Ctx, roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
  const head = await onHead(c, roomId);
  return sendPdu(head, [head.base], head.depth + 1, { type, content });
}

async function localEvent(c: Ctx, roomId: string, id: string) {
  const res = await c.t.req('GET', `${V3}/rooms/${enc(roomId)}/event/${enc(id)}`, { token: c.alice.token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

test("a remote redaction of its own server's event takes effect; of a local user's event without the redact level it does not", async () => {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat' });
  await remoteJoin(c, roomId);
  const msg = await remotePdu(c, roomId, 'm.room.message', { msgtype: 'm.text', body: 'oops' });
  assert.equal((await localEvent(c, roomId, msg)).content.body, 'oops');
  const red = await remotePdu(c, roomId, 'm.room.redaction', { redacts: msg });
  const shown = await localEvent(c, roomId, msg);
  assert.deepEqual(shown.content, {}, 'the target is shown redacted');
  assert.equal(shown.unsigned?.redacted_because?.event_id, red);
  const mine = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/k1`, { token: c.alice.token, body: { msgtype: 'm.text', body: 'keep me' } });
  await remotePdu(c, roomId, 'm.room.redaction', { redacts: mine.json.event_id });
  assert.equal((await localEvent(c, roomId, mine.json.event_id)).content.body, 'keep me', 'BOB (level 0) may not redact alice');
});

test('/event and /backfill give another server a redacted event as the redaction left it', async () => {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat' });
  await remoteJoin(c, roomId);
  const sent = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/s1`, { token: c.alice.token, body: { msgtype: 'm.text', body: 'secret' } });
  const id = sent.json.event_id as string;
  const red = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/redact/${enc(id)}/r1`, { token: c.alice.token, body: {} });
  assert.equal(red.status, 200, red.text);
  const ev = await c.get(`/_matrix/federation/v1/event/${enc(id)}`);
  assert.equal(ev.status, 200, ev.text);
  assert.deepEqual(ev.json.pdus[0].content, {});
  const back = await c.get(`/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(red.json.event_id)}&limit=5`);
  assert.equal(back.status, 200, back.text);
  const target = back.json.pdus.find((p: Record<string, unknown>) => eventIdFor(p, '11') === id);
  assert.ok(target, 'the redacted event is in the backfill, under its own id');
  assert.deepEqual(target.content, {});
});
