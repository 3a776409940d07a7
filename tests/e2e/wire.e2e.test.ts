// What clients of other homeservers rely on, over real HTTP against `hush serve`: the exact JSON
// Content-Type (errors, unknown routes and malformed paths included), 400 M_NOT_JSON for a body
// that is not UTF-8, and nheko's POST /logout with the body `null`.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';

const V3 = '/_matrix/client/v3';
let hush: HushProcess;
let http: ReturnType<typeof client>;
let alice: ClientSession;

before(async () => {
  hush = await startHush();
  http = client(hush.baseUrl);
  alice = await http.register('alice');
});
after(() => hush?.stop());

/** One request with the body sent byte for byte, and the path sent as written (no URL parsing). */
function raw(method: string, path: string, body?: Buffer | string, token?: string): Promise<{ status: number; type: string | undefined; json: { errcode?: string } & Record<string, unknown> }> {
  const url = new URL(hush.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('every JSON answer says Content-Type: application/json, with no charset parameter', async () => {
  const answers = [
    await raw('GET', '/_matrix/client/versions'),
    await raw('GET', `${V3}/account/whoami`, undefined, alice.token),
    await raw('GET', `${V3}/account/whoami`),
    await raw('GET', `${V3}/not/a/route`),
    await raw('PUT', '/_matrix/client/versions', '{}'),
    await raw('GET', `${V3}/rooms/%ED%A0%80/state`, undefined, alice.token),
    await raw('POST', `${V3}/createRoom`, '{', alice.token),
  ];
  assert.deepEqual(
    answers.map((a) => `${a.status} ${a.type}`),
    ['200', '200', '401', '404', '405', '400', '400'].map((s) => `${s} application/json`),
  );
});

test('a body that is not UTF-8 is 400 M_NOT_JSON', async () => {
  const res = await raw('POST', `${V3}/createRoom`, Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), alice.token);
  assert.equal(res.status, 400);
  assert.equal(res.json.errcode, 'M_NOT_JSON');
});

test('POST /logout with the body null logs the device out (nheko)', async () => {
  const s = await http.login('alice');
  const res = await raw('POST', `${V3}/logout`, 'null', s.token);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal((await raw('GET', `${V3}/account/whoami`, undefined, s.token)).json.errcode, 'M_UNKNOWN_TOKEN');
  assert.equal((await raw('GET', `${V3}/account/whoami`, undefined, alice.token)).status, 200, 'the other device is still logged in');
});
