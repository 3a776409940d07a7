// Membership over federation between two `hush serve` processes over TLS on loopback (decision
// 0031): a user of A creates a room and invites a user of B (B signs the invite; B's /sync shows
// it), the user of B joins through A (make_join/send_join: B checks and stores the room's state,
// its /sync shows the room), leaves (an event of B's own, queued to A); an invite to a user of B
// who blocks invites is refused with 403 M_INVITE_BLOCKED to the inviting client; an invite from
// a user the invitee ignores is stored but hidden, and can be rejected (the leave reaches A).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, type ClientSession } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let bed: FederationTestbed;
let a: FederatingServer;
let b: FederatingServer;
let alice: ClientSession;
let roomId: string;

before(async () => {
  bed = new FederationTestbed();
  [a, b] = await Promise.all([bed.start(), bed.start()]);
  alice = await client(a.proc.baseUrl).register('alice');
  const created = await client(a.proc.baseUrl).request('POST', `${V3}/createRoom`, { token: alice.token, body: { preset: 'public_chat', name: 'Across' } });
  assert.equal(created.status, 200, created.text);
  roomId = created.json.room_id;
});

after(async () => {
  await bed?.close();
});

async function membershipOn(server: FederatingServer, token: string, userId: string): Promise<string | undefined> {
  const res = await client(server.proc.baseUrl).request('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.member/${enc(userId)}`, { token });
  return res.status === 200 ? res.json.membership : undefined;
}

async function sync(server: FederatingServer, token: string, since?: string) {
  const res = await client(server.proc.baseUrl).request('GET', `${V3}/sync?timeout=0${since ? `&since=${enc(since)}` : ''}`, { token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

test('invite to a user of B, B signs it and shows it; the user joins through A, then leaves', async () => {
  const bob = await client(b.proc.baseUrl).register('bob');
  const inv = await client(a.proc.baseUrl).request('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: alice.token, body: { user_id: bob.userId } });
  assert.equal(inv.status, 200, inv.text);
  assert.equal(await membershipOn(a, alice.token, bob.userId), 'invite');
  const s1 = await sync(b, bob.token);
  assert.ok(s1.rooms?.invite?.[roomId], `B's /sync shows the invite: ${JSON.stringify(s1.rooms)}`);

  const join = await client(b.proc.baseUrl).request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a.name)}`, { token: bob.token, body: {} });
  assert.equal(join.status, 200, join.text);
  assert.equal(await membershipOn(a, alice.token, bob.userId), 'join');
  const s2 = await sync(b, bob.token);
  const joined = s2.rooms?.join?.[roomId];
  assert.ok(joined, `B's /sync shows the room: ${JSON.stringify(s2.rooms)}`);
  const name = await client(b.proc.baseUrl).request('GET', `${V3}/rooms/${enc(roomId)}/state/m.room.name`, { token: bob.token });
  assert.equal(name.json?.name, 'Across', 'B stored the room state from send_join');
  assert.equal(await membershipOn(b, bob.token, alice.userId), 'join');

  const leave = await client(b.proc.baseUrl).request('POST', `${V3}/rooms/${enc(roomId)}/leave`, { token: bob.token, body: {} });
  assert.equal(leave.status, 200, leave.text);
  // B is in the room: the leave is an ordinary event of B's, queued to A (a /send transaction).
  assert.equal(await membershipOn(b, bob.token, bob.userId), 'leave');
});

test('an invite to a user of B who blocks invites: 403 M_INVITE_BLOCKED to the inviting client, nothing stored', async () => {
  const carol = await client(b.proc.baseUrl).register('carol');
  const put = await client(b.proc.baseUrl).request('PUT', `${V3}/user/${enc(carol.userId)}/account_data/m.invite_permission_config`, { token: carol.token, body: { default_action: 'block' } });
  assert.equal(put.status, 200, put.text);
  const inv = await client(a.proc.baseUrl).request('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: alice.token, body: { user_id: carol.userId } });
  assert.equal(inv.status, 403, inv.text);
  assert.equal(inv.json.errcode, 'M_INVITE_BLOCKED');
  assert.equal(await membershipOn(a, alice.token, carol.userId), undefined);
});

test('an invite from a user the invitee ignores is hidden, and can be rejected through the inviting server', async () => {
  const dave = await client(b.proc.baseUrl).register('dave');
  const ign = await client(b.proc.baseUrl).request('PUT', `${V3}/user/${enc(dave.userId)}/account_data/m.ignored_user_list`, { token: dave.token, body: { ignored_users: { [alice.userId]: {} } } });
  assert.equal(ign.status, 200, ign.text);
  const inv = await client(a.proc.baseUrl).request('POST', `${V3}/rooms/${enc(roomId)}/invite`, { token: alice.token, body: { user_id: dave.userId } });
  assert.equal(inv.status, 200, inv.text);
  const s = await sync(b, dave.token);
  assert.equal(s.rooms?.invite?.[roomId], undefined, 'the invite from an ignored user is hidden');
  const reject = await client(b.proc.baseUrl).request('POST', `${V3}/rooms/${enc(roomId)}/leave`, { token: dave.token, body: {} });
  assert.equal(reject.status, 200, reject.text);
  assert.equal(await membershipOn(a, alice.token, dave.userId), 'leave');
});
