// Durable rejections of remote invites (decision 0039; cell FJ4 of docs/ignore-semantics.md): the
// invitee's server R rejects an invite through the inviting server A (make_leave/send_leave), and a
// rejection A could not take — A down — is kept in R's database: R restarted while A is still down
// tries it again after the restart, and A, once back, gets the leave and shows it to the inviter.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { client, type ClientSession, type HttpResult } from '../support/server.ts';
import { FederationTestbed, type FederatingServer } from './support/federation.ts';
import type { Json } from './support/steps.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let bed: FederationTestbed;
let a: FederatingServer;
let r: FederatingServer;
let aDb: string;
let rDb: string;

type Session = ClientSession & { on: () => FederatingServer };
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
function req(s: Session, method: string, path: string, body?: unknown): Promise<HttpResult> {
  return client(s.on().proc.baseUrl).request(method, path, { token: s.token, ...(body !== undefined ? { body } : {}) });
}
async function ok(s: Session, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await req(s, method, path, body);
  assert.equal(res.status, 200, `${method} ${path}: ${res.text}`);
  return res.json;
}
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch((err: Error) => err.message as unknown as T);
    if (check(v)) return v;
    if (Date.now() > end) assert.fail(`${what} (last: ${JSON.stringify(v)?.slice(0, 400)})`);
    await sleep(200);
  }
}

before(async () => {
  bed = new FederationTestbed();
  aDb = join(bed.dir, 'a.sqlite');
  rDb = join(bed.dir, 'r.sqlite');
  [a, r] = await Promise.all([bed.start({ database: aDb }), bed.start({ database: rDb, extra: ['--ignored-user-invites', 'reject'] })]);
});

after(async () => {
  await bed?.close();
});

test('FJ4 a rejection the inviting server could not take survives a restart of the invitee\'s server: A down, R restarted, A back — the leave arrives', async () => {
  const bob: Session = { ...(await client(a.proc.baseUrl).register('fj4_bob')), on: () => a };
  const alice: Session = { ...(await client(r.proc.baseUrl).register('fj4_alice')), on: () => r };
  const room = (await ok(bob, 'POST', `${V3}/createRoom`, { preset: 'private_chat', name: 'fj4' })).room_id as string;
  await ok(bob, 'POST', `${V3}/rooms/${enc(room)}/invite`, { user_id: alice.userId });
  const membership = async () => (await ok(bob, 'GET', `${V3}/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId)}`)).membership as string;
  await sleep(1000);
  assert.equal(await membership(), 'invite', 'nothing rejects it yet');

  await a.proc.stop();
  // Ignoring bob (with --ignored-user-invites reject) rejects his pending invite — through A, which is down.
  await ok(alice, 'PUT', `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, { ignored_users: { [bob.userId]: {} } });
  await sleep(2500);
  await r.proc.stop();
  r = await bed.start({ port: r.port, database: rDb, extra: ['--ignored-user-invites', 'reject'] });
  await sleep(1000);
  a = await bed.start({ port: a.port, database: aDb });
  const t0 = Date.now();
  await until('the leave reaches A after both restarts', membership, (m) => m === 'leave', 60_000);
  console.log(`# FJ4 A back → leave on A: ${Date.now() - t0} ms`);
  const sync = await ok(alice, 'GET', `${V3}/sync?timeout=0`);
  assert.equal(sync.rooms?.invite?.[room], undefined, 'the invitee never sees the invite');
});
