// Error paths of the room endpoints over plain HTTP against a real `hush serve`: every client
// mistake gets its Matrix error, never a 500, and nothing already stored is lost.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
let hush: HushProcess;
let http: ReturnType<typeof client>;
let alice: ClientSession;
let bob: ClientSession;
let room: string;

before(async () => {
  hush = await startHush();
  http = client(hush.baseUrl);
  alice = await http.register('alice');
  bob = await http.register('bob');
  room = (await http.request('POST', `${V3}/createRoom`, { token: alice.token, body: { name: 'Kept' } })).json.room_id;
});
after(() => hush?.stop());

function assertMatrixError(r: { status: number; json: { errcode?: unknown; error?: unknown } }, status: number, errcode: string): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json.errcode, errcode);
  assert.equal(typeof r.json.error, 'string');
}

test('unknown room: joining is 404, reading its state is 403 (membership decides, not existence)', async () => {
  assertMatrixError(await http.request('POST', `${V3}/join/${enc('!missing:localhost')}`, { token: bob.token, body: {} }), 404, 'M_NOT_FOUND');
  assertMatrixError(await http.request('GET', `${V3}/rooms/${enc('!missing:localhost')}/state`, { token: bob.token }), 403, 'M_FORBIDDEN');
});

test('joining a private room without an invite is 403 M_FORBIDDEN', async () => {
  assertMatrixError(await http.request('POST', `${V3}/rooms/${enc(room)}/join`, { token: bob.token, body: {} }), 403, 'M_FORBIDDEN');
});

test('sending without power is 403 M_FORBIDDEN', async () => {
  await http.request('POST', `${V3}/rooms/${enc(room)}/invite`, { token: alice.token, body: { user_id: bob.userId } });
  await http.request('POST', `${V3}/rooms/${enc(room)}/join`, { token: bob.token, body: {} });
  assertMatrixError(await http.request('PUT', `${V3}/rooms/${enc(room)}/state/m.room.name/`, { token: bob.token, body: { name: 'Taken' } }), 403, 'M_FORBIDDEN');
  const name = await http.request('GET', `${V3}/rooms/${enc(room)}/state/m.room.name/`, { token: alice.token });
  assert.deepEqual(name.json, { name: 'Kept' }, 'the refused write changed nothing');
});

test('malformed events and bodies', async () => {
  const send = (body: string) =>
    fetch(`${hush.baseUrl}${V3}/rooms/${enc(room)}/send/m.room.message/m${Math.random()}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      body,
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as { errcode?: unknown; error?: unknown } }));
  assertMatrixError(await send('{"body": "unterminated'), 400, 'M_NOT_JSON');
  assertMatrixError(await send('null'), 400, 'M_BAD_JSON');
  assertMatrixError(await send('{"n": 1.5}'), 400, 'M_BAD_JSON');
  assertMatrixError(await send('{"s": "\\ud800"}'), 400, 'M_BAD_JSON');
  assertMatrixError(await send(JSON.stringify({ body: 'x'.repeat(2 * 1024 * 1024) })), 413, 'M_TOO_LARGE');
});

test('bad ids and bad escapes in paths are 400, not 500', async () => {
  for (const path of [
    `${V3}/rooms/%FF/state`,
    `${V3}/rooms/%ED%A0%80/messages?dir=b`,
    `${V3}/rooms/${enc('not-a-room')}/state`,
    `${V3}/rooms/${enc(room)}/event/${enc('no-sigil')}`,
    `${V3}/rooms/${enc(room)}/messages?dir=b&limit=1e309`,
    `${V3}/rooms/${enc(room)}/messages?dir=b&limit=9223372036854775808`,
    `${V3}/rooms/${enc(room)}/context/${enc('$x')}?limit=NaN`,
  ]) {
    const r = await http.request('GET', path, { token: alice.token });
    assert.ok(r.status >= 400 && r.status < 500, `${path}: ${r.status}`);
    assert.equal(typeof r.json?.errcode, 'string', path);
  }
});

test("another user's account data is 403 both ways", async () => {
  assertMatrixError(await http.request('GET', `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, { token: bob.token }), 403, 'M_FORBIDDEN');
  assertMatrixError(
    await http.request('PUT', `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`, { token: bob.token, body: { ignored_users: {} } }),
    403,
    'M_FORBIDDEN',
  );
});

test('the server is still healthy after all of the above', async () => {
  const r = await http.request('GET', `${V3}/sync?timeout=0`, { token: alice.token });
  assert.equal(r.status, 200);
  assert.ok(r.json.rooms.join[room]);
});
