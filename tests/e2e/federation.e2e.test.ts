// Two `hush serve` processes federating over TLS on loopback (issue 21): server names
// `localhost:PORT` (the host:port rule, no DNS), a CA and a localhost certificate made here with
// openssl and trusted with --federation-ca. A user of one reads a user of the other's profile —
// a signed request from A that B checks with A's keys, fetched from A over TLS; A's notary fetches
// B's keys; forged signatures, a wrong destination, an unknown key id and a missing header are
// refused with 401 M_UNAUTHORIZED; a third server that does not trust the CA cannot reach them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign } from 'node:crypto';
import { Agent, request } from 'undici';
import { client, startHush, type HushProcess } from '../support/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'hush-fed-'));
const CA = join(dir, 'ca.crt');
const CERT = join(dir, 'server.crt');
const KEY = join(dir, 'server.key');
const servers: HushProcess[] = [];
let a: { proc: HushProcess; name: string; port: number };
let b: { proc: HushProcess; name: string; port: number };
let tlsAgent: Agent;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCertificates(): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
    '-subj', '/CN=Hush federation test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function startFederating(extra: string[] = ['--federation-ca', CA]): Promise<{ proc: HushProcess; name: string; port: number }> {
  const port = await freePort();
  const name = `localhost:${port}`;
  const proc = await startHush({
    args: ['--server-name', name, '--federation', 'on', '--federation-port', String(port), '--tls-cert', CERT, '--tls-key', KEY, '--outbound-allow-private', 'on', ...extra],
  });
  servers.push(proc);
  return { proc, name, port };
}

/** A request over the TLS listener, trusting the test CA. */
async function tls(port: number, method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await request(`https://localhost:${port}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    dispatcher: tlsAgent,
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as Record<string, any>) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

before(async () => {
  makeCertificates();
  tlsAgent = new Agent({ connect: { ca: readFileSync(CA, 'utf8') } });
  [a, b] = await Promise.all([startFederating(), startFederating()]);
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await tlsAgent?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the TLS listener serves the key, federation and client APIs; the plain listener serves federation too', async () => {
  const keys = await tls(a.port, 'GET', '/_matrix/key/v2/server');
  assert.equal(keys.status, 200);
  assert.equal(keys.json?.server_name, a.name);
  assert.equal((await tls(a.port, 'GET', '/_matrix/federation/v1/version')).json?.server.name, 'Hush');
  assert.equal((await tls(a.port, 'GET', '/_matrix/client/versions')).status, 200);
  const plain = await client(a.proc.baseUrl).request('GET', '/_matrix/federation/v1/version');
  assert.equal(plain.status, 200);
});

test("a user of A reads a user of B's profile: A signs, B fetches A's keys over TLS and checks", async () => {
  const bob = await client(b.proc.baseUrl).register('bob');
  const set = await client(b.proc.baseUrl).request('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}/displayname`, { token: bob.token, body: { displayname: 'Bob of B' } });
  assert.equal(set.status, 200);
  assert.equal(bob.userId, `@bob:${b.name}`);
  const alice = await client(a.proc.baseUrl).register('alice');
  const profile = await client(a.proc.baseUrl).request('GET', `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}`, { token: alice.token });
  assert.equal(profile.status, 200, profile.text);
  assert.deepEqual(profile.json, { displayname: 'Bob of B' });
  // B's log shows the verified request; a user B does not have is 404 through A.
  const nobody = await client(a.proc.baseUrl).request('GET', `/_matrix/client/v3/profile/${encodeURIComponent(`@nobody:${b.name}`)}`, { token: alice.token });
  assert.equal(nobody.status, 404);
  assert.equal(nobody.json.errcode, 'M_NOT_FOUND');
});

test("A's notary fetches B's keys and adds its signature; B's notary gives A's keys", async () => {
  const viaA = await client(a.proc.baseUrl).request('GET', `/_matrix/key/v2/query/${encodeURIComponent(b.name)}`);
  assert.equal(viaA.status, 200, viaA.text);
  const doc = viaA.json.server_keys[0];
  assert.equal(doc.server_name, b.name);
  assert.deepEqual(Object.keys(doc.signatures).sort(), [a.name, b.name].sort());
  const viaB = await tls(b.port, 'POST', '/_matrix/key/v2/query', {}, { server_keys: { [a.name]: {} } });
  assert.equal(viaB.json?.server_keys[0].server_name, a.name);
  assert.ok(viaB.json?.server_keys[0].signatures[b.name]);
});

test('B refuses forged, misaddressed, unknown-key and unsigned requests with 401 M_UNAUTHORIZED', async () => {
  const uri = `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(`@bob:${b.name}`)}`;
  const aKeyId = Object.keys((await tls(a.port, 'GET', '/_matrix/key/v2/server')).json?.verify_keys)[0] as string;
  // A signature by some other ed25519 key, sent as A's.
  const forger = generateKeyPairSync('ed25519').privateKey;
  const fakeSig = sign(null, Buffer.from('{"anything":1}'), forger).toString('base64').replace(/=+$/, '');
  const header = (fields: Record<string, string>) => `X-Matrix ${Object.entries(fields).map(([k, v]) => `${k}="${v}"`).join(',')}`;
  const cases: [string, Record<string, string>, RegExp][] = [
    ['forged signature', { authorization: header({ origin: a.name, destination: b.name, key: aKeyId, sig: fakeSig }) }, /Invalid X-Matrix signature/],
    ['wrong destination', { authorization: header({ origin: a.name, destination: 'somewhere.example', key: aKeyId, sig: fakeSig }) }, /destination/],
    ['unknown key id', { authorization: header({ origin: a.name, destination: b.name, key: 'ed25519:nosuchkey', sig: fakeSig }) }, /Unknown key/],
    ['missing header', {}, /Missing Authorization/],
  ];
  for (const [what, headers, message] of cases) {
    for (const res of [await tls(b.port, 'GET', uri, headers), await client(b.proc.baseUrl).request('GET', uri, { headers })]) {
      assert.equal(res.status, 401, what);
      assert.equal(res.json?.errcode, 'M_UNAUTHORIZED', what);
      assert.match(String(res.json?.error), message, what);
    }
  }
});

test('a server that does not trust the CA (certificates checked by default) cannot reach them', async () => {
  const c = await startFederating([]);
  const carol = await client(c.proc.baseUrl).register('carol');
  const res = await client(c.proc.baseUrl).request('GET', `/_matrix/client/v3/profile/${encodeURIComponent(`@bob:${b.name}`)}`, { token: carol.token });
  assert.equal(res.status, 404);
  assert.match(res.json.error, /could not be reached .*(certificate|verify|issuer)/i);
});
