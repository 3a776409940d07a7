// The remote look-ups other servers make of us, in process (issue 22, decision 0033):
// /query/directory (our alias → room and servers; unknown, foreign, ACL-denied), /publicRooms GET and
// POST (listed rooms, search term, ACL-denied rooms left out), /hierarchy (children a server may
// preview vs inaccessible ones, a private root refused), /timestamp_to_event (a member's server gets
// the nearest event; a server without a member and an ACL-denied one get 403); all signed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { US, REMOTE, STRANGER, enc, V3, setup, remoteJoin, type Ctx } from '../federation-fixture.ts';

async function denyRemote(c: Ctx, roomId: string): Promise<void> {
  const acl = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/state/m.room.server_acl`, { token: c.alice.token, body: { allow: ['*'], deny: ['127.0.0.1'], allow_ip_literals: true } });
  assert.equal(acl.status, 200, acl.text);
}


test('query/directory: our alias gives the room and our server; unknown or foreign aliases 404; an ACL-denied server 403; unsigned 401', async () => {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat', room_alias_name: 'lobby' });
  const uri = (alias: string) => `/_matrix/federation/v1/query/directory?room_alias=${enc(alias)}`;
  const ok = await c.get(uri(`#lobby:${US}`));
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.json, { room_id: roomId, servers: [US] });
  await remoteJoin(c, roomId);
  assert.deepEqual((await c.get(uri(`#lobby:${US}`))).json.servers, [US, REMOTE], 'servers with joined members follow ours');
  assert.equal((await c.get(uri(`#nope:${US}`))).json.errcode, 'M_NOT_FOUND');
  assert.equal((await c.get(uri('#lobby:elsewhere.example'))).status, 404);
  assert.equal((await c.get('/_matrix/federation/v1/query/directory?room_alias=lobby')).status, 400);
  assert.equal((await c.t.req('GET', uri(`#lobby:${US}`))).status, 401);
  await denyRemote(c, roomId);
  const denied = await c.get(uri(`#lobby:${US}`));
  assert.equal(denied.status, 403, denied.text);
  assert.equal((await c.get(uri(`#lobby:${US}`), STRANGER)).status, 200);
});

test('publicRooms GET and POST: our listed rooms, a search term, rooms whose ACL denies the server left out', async () => {
  const c = await setup();
  const open = await c.room({ preset: 'public_chat', visibility: 'public', name: 'Open talk' });
  const other = await c.room({ preset: 'public_chat', visibility: 'public', name: 'Other things' });
  await c.room({ preset: 'private_chat', name: 'Hidden' });
  const got = await c.get('/_matrix/federation/v1/publicRooms?limit=10');
  assert.equal(got.status, 200, got.text);
  assert.deepEqual(got.json.chunk.map((r: { room_id: string }) => r.room_id).sort(), [open, other].sort());
  const searched = await c.post('/_matrix/federation/v1/publicRooms', { filter: { generic_search_term: 'open' } });
  assert.equal(searched.status, 200, searched.text);
  assert.deepEqual(searched.json.chunk.map((r: { room_id: string }) => r.room_id), [open]);
  assert.equal((await c.post('/_matrix/federation/v1/publicRooms', { limit: 'x' })).status, 400);
  await denyRemote(c, other);
  const after = await c.get('/_matrix/federation/v1/publicRooms');
  assert.deepEqual(after.json.chunk.map((r: { room_id: string }) => r.room_id), [open], 'the ACL-denied room is left out for REMOTE');
  assert.equal((await c.get('/_matrix/federation/v1/publicRooms', STRANGER)).json.chunk.length, 2);
});

test('hierarchy: children the server may preview, the others inaccessible; a private root 403; suggested_only', async () => {
  const c = await setup();
  const space = await c.room({ preset: 'public_chat', name: 'Space', creation_content: { type: 'm.space' } });
  const pub = await c.room({ preset: 'public_chat', name: 'Public child' });
  const priv = await c.room({ preset: 'private_chat', name: 'Private child' });
  for (const [child, suggested] of [[pub, true], [priv, false]] as const) {
    const put = await c.t.req('PUT', `${V3}/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, { token: c.alice.token, body: { via: [US], suggested } });
    assert.equal(put.status, 200, put.text);
  }
  const res = await c.get(`/_matrix/federation/v1/hierarchy/${enc(space)}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.room.room_id, space);
  assert.equal(res.json.room.children_state.length, 2);
  assert.deepEqual(res.json.children.map((r: { room_id: string }) => r.room_id), [pub]);
  assert.deepEqual(res.json.inaccessible_children, [priv]);
  const suggested = await c.get(`/_matrix/federation/v1/hierarchy/${enc(space)}?suggested_only=true`);
  assert.deepEqual(suggested.json.inaccessible_children, []);
  assert.equal((await c.get(`/_matrix/federation/v1/hierarchy/${enc(priv)}`)).status, 403);
  assert.equal((await c.get(`/_matrix/federation/v1/hierarchy/${enc(`!unknown:${US}`)}`)).status, 404);
  await denyRemote(c, space);
  assert.equal((await c.get(`/_matrix/federation/v1/hierarchy/${enc(space)}`)).status, 403);
});

test('timestamp_to_event: the nearest event for a server with a member; 403 without one and when the ACL denies it; bad dir 400', async () => {
  const c = await setup();
  const roomId = await c.room({ preset: 'public_chat' });
  const uri = (ts: number, dir: string) => `/_matrix/federation/v1/timestamp_to_event/${enc(roomId)}?ts=${ts}&dir=${dir}`;
  assert.equal((await c.get(uri(Date.now(), 'b'))).status, 403, 'no member of REMOTE yet');
  await remoteJoin(c, roomId);
  const sent = await c.t.req('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/t1`, { token: c.alice.token, body: { msgtype: 'm.text', body: 'now' } });
  const back = await c.get(uri(Date.now() + 1000, 'b'));
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.event_id, sent.json.event_id);
  assert.equal(typeof back.json.origin_server_ts, 'number');
  const fwd = await c.get(uri(0, 'f'));
  assert.equal(fwd.status, 200, fwd.text);
  assert.notEqual(fwd.json.event_id, sent.json.event_id, 'forward from 0: the create event');
  assert.equal((await c.get(uri(Date.now() + 1000, 'f'))).status, 404);
  assert.equal((await c.get(uri(0, 'x'))).status, 400);
  assert.equal((await c.get(uri(Date.now(), 'b'), STRANGER)).status, 403);
  await denyRemote(c, roomId);
  assert.equal((await c.get(uri(Date.now(), 'b'))).status, 403);
});
