// A real desktop client against a real `hush serve`: Debian's nheko (Qt, mtxclient, libolm) under
// Xvfb, driven through its own screens with xdotool. Every assertion is on what the server saw or
// what the other client decrypted, never on pixels (a pixel only tells when a screen is drawn);
// screenshots are for people. nheko talks to Hush through a recording proxy, so its own requests and
// answers are known apart from the test's.
// The flow: log in on nheko's login screen (autodiscovery over https fails against a plain-http
// loopback server, so nheko shows its homeserver field, which is typed), set up cross-signing and key
// backup from its first-run dialog, accept an invite into an encrypted room, send a message that a
// matrix-js-sdk client with Rust crypto decrypts, answer that client's reply (the answer's reply
// fallback quotes the text, so nheko did decrypt it), log out from the menu (nheko posts `null` as
// the body), and list every error response nheko got.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { client, startHush, type ClientSession, type HushProcess } from '../support/server.ts';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import { cryptoClient as startCryptoClient, plaintexts, sdk, type MatrixClient } from '../e2e/support/sdk.ts';
import { startNheko, until, type Nheko, type Rgb } from './support/nheko.ts';
import { startRecorder, type Recorder } from './support/recorder.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const DEVICE_NAME = 'nheko under test';
const PASSWORD = 'correct horse';

let hush: HushProcess;
let http: ReturnType<typeof client>;
let nheko: Nheko;
let recorder: Recorder; // nheko talks to Hush through it
let alice: ClientSession; // A's own HTTP session (a second device): to look at what nheko did
let bobSession: ClientSession;
let bob: MatrixClient;
let nhekoDevice: string;
let roomId: string;
let port: number;
const sent = 'the eagle lands at noon';
const reply = 'copy that, eagle';

/** A free TCP port on the loopback: the server name must hold it, so it is chosen before start. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** A logger that drops everything: the SDK's crypto logs at debug level into the test output. */
const noop = () => undefined;
const quiet: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, getChild: () => quiet };

/** B: matrix-js-sdk 43 with Rust crypto in memory, synced to PREPARED. */
const cryptoClient = (session: ClientSession) => startCryptoClient(hush.baseUrl, session, { logger: quiet });

const get = async (path: string, token = alice.token) => {
  const r = await http.request('GET', path, { token });
  assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
  return r.json;
};
const nhekoDevices = async (): Promise<{ device_id: string; display_name?: string }[]> =>
  ((await get(`${V3}/devices`)).devices as { device_id: string; display_name?: string }[]).filter((d) => d.display_name === DEVICE_NAME);
const queryKeys = async () => {
  const r = await http.request('POST', `${V3}/keys/query`, { token: bobSession.token, body: { device_keys: { [alice.userId]: [] } } });
  assert.equal(r.status, 200, r.text);
  return r.json;
};

/** What nheko asked and was answered, as the recorder in front of Hush saw it. */
const requests = () => recorder.records;

/** Does `act`, then waits up to `every` ms for `check`; again until `ms` have passed. */
async function retrying<T>(what: string, act: () => Promise<void>, check: () => Promise<T | undefined> | T | undefined, ms = 30_000, every = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    await act();
    try {
      return await until(what, check, Math.min(every, Math.max(deadline - Date.now(), 0)));
    } catch (e) {
      if (Date.now() >= deadline) throw e;
    }
  }
}

/** On failure: a screenshot and the tail of nheko's log, so a broken run says what it saw. */
async function evidence<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const path = await nheko?.shot(`failed-${name}`).catch(() => 'no screenshot');
    const tail = nheko?.log().split('\n').slice(-25).join('\n');
    throw new Error(`${(e as Error).message}\nscreenshot: ${path}\nnheko log:\n${tail}`, { cause: e });
  }
}

before(async () => {
  port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  hush = await startHush({ args: ['--port', String(port), '--server-name', `localhost:${port}`, '--public-base-url', base] });
  http = client(hush.baseUrl);
  recorder = await startRecorder(hush.baseUrl);
  alice = await http.register('a', PASSWORD);
  bobSession = await http.register('b', PASSWORD);
  nheko = await startNheko();
});

after(async () => {
  bob?.stopClient();
  await nheko?.stop();
  await recorder?.close();
  await hush?.stop();
});

describe('nheko (Debian) against hush serve', { timeout: 180_000 }, () => {
  test('logs in through its login screen: its device, its keys and its first sync reach the server', async () => {
    await evidence('login', async () => {
      // Screens are told apart by a pixel: the welcome page's LOGIN button is slate grey, the login
      // page underlines its Matrix ID field in blue. (The server cannot see these steps.)
      const slate = ([r, g, b]: Rgb) => r > 50 && r < 110 && g > 55 && g < 115 && b > 70 && b < 130;
      const blue = ([r, , b]: Rgb) => r < 110 && b > 180;
      await until('the welcome page to be drawn', async () => slate(await nheko.pixel(614, 432)));
      await nheko.shot('welcome');
      await until('the login page', async () => {
        if (blue(await nheko.pixel(400, 286))) return true;
        if (slate(await nheko.pixel(614, 432))) await nheko.click(614, 432); // (again, if a click came too early)
        return undefined;
      }, 20_000);
      await nheko.shot('login');
      // The Matrix ID field: leaving it starts autodiscovery, which fails (nheko asks
      // https://localhost:PORT/.well-known, and this server speaks plain http) and shows the
      // homeserver field.
      const from = nheko.log().length;
      await nheko.click(533, 274);
      await nheko.type(`@a:localhost:${port}`);
      await nheko.key('Tab');
      await nheko.waitLog(/Autodiscovery failed/, 30_000, from);
      // The homeserver field is drawn (a fourth underline) before anything is typed: on a busy
      // machine the keys would otherwise reach a form that does not have it yet.
      await until('the homeserver field', async () => (await nheko.lines(700, 190, 460)) >= 4);
      await nheko.shot('login-autodiscovery-failed');
      // Focus is on the password; then device name, then the homeserver field nheko added.
      await nheko.type(PASSWORD);
      await nheko.key('Tab');
      await nheko.type(DEVICE_NAME);
      await nheko.key('Tab', 'ctrl+a');
      await nheko.type(recorder.url);
      await nheko.shot('login-filled');
      // Return ends the edit: nheko checks that homeserver (GET /versions, then the login flows)
      // and only then enables its LOGIN button, which the next Return presses.
      await nheko.key('Return');
      // On a busy machine nheko may have checked the server (and even logged in) before that key
      // arrived: any answered GET /login since the form was filled counts.
      await until('nheko to ask for the login flows', () => requests().some((r) => r.method === 'GET' && r.url === `${V3}/login` && r.status === 200));
      await retrying('nheko to post its login', () => nheko.key('Return'), () => requests().some((r) => r.method === 'POST' && r.url === `${V3}/login`) || undefined);
      const devices = await until('nheko\'s device in GET /devices', async () => ((await nhekoDevices()).length > 0 ? nhekoDevices() : undefined));
      assert.equal(devices.length, 1, 'one login');
      const device = devices[0]!;
      nhekoDevice = device.device_id;
    });
    // Its device keys, as another user sees them, and the first sync.
    const keys = await until('nheko\'s device keys', async () => (await queryKeys()).device_keys?.[alice.userId]?.[nhekoDevice], 30_000);
    assert.ok(keys.keys[`ed25519:${nhekoDevice}`], 'an ed25519 key');
    assert.ok(keys.algorithms.includes('m.megolm.v1.aes-sha2'));
    const counts = await http.request('POST', `${V3}/keys/upload`, { token: alice.token, body: {} });
    assert.equal(counts.status, 200);
    await until('a /sync from nheko', () => requests().some((r) => r.url.startsWith(`${V3}/sync`) && r.status === 200));
  });

  test('sets up cross-signing and key backup from its first-run dialog', async () => {
    await evidence('encryption-setup', async () => {
      // "Setup Encryption" comes up over the chat page after the first sync (told by the white it
      // puts over the dark room list); OK keeps its defaults: secrets stored online, key backup on.
      const white = ([r, g, b]: Rgb) => r > 245 && g > 245 && b > 245;
      await until('the Setup Encryption dialog', async () => white(await nheko.pixel(130, 235)));
      await nheko.shot('setup-encryption');
      await retrying(
        'a master key and a key backup for A',
        () => nheko.click(913, 561),
        async () => {
          const master = (await queryKeys()).master_keys?.[alice.userId];
          const backup = await http.request('GET', `${V3}/room_keys/version`, { token: alice.token });
          return master && backup.status === 200 ? true : undefined;
        },
      );
      // Then it shows the recovery key, until its OK.
      await until('the recovery key', async () => white(await nheko.pixel(130, 340)) && !white(await nheko.pixel(130, 235)));
      await nheko.shot('recovery-key');
      await retrying('the recovery key to go', () => nheko.click(1011, 333), async () => !white(await nheko.pixel(130, 340)) || undefined, 20_000, 2_000);
    });
    // nheko signed its own device with the self-signing key it uploaded.
    const keys = await queryKeys();
    const selfSigning = Object.keys(keys.self_signing_keys[alice.userId].keys)[0]!;
    assert.ok(keys.device_keys[alice.userId][nhekoDevice].signatures[alice.userId][selfSigning], 'the device is cross-signed');
    const backup = (await get(`${V3}/room_keys/version`)) as { algorithm: string; version: string };
    assert.equal(backup.algorithm, 'm.megolm_backup.v1.curve25519-aes-sha2');
  });

  test('joins an encrypted room it was invited to and sends a message that matrix-js-sdk (Rust crypto) decrypts', async () => {
    bob = await cryptoClient(bobSession);
    ({ room_id: roomId } = await bob.createRoom({
      preset: sdk.Preset.PrivateChat,
      name: 'secret plans',
      invite: [alice.userId],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    }));
    const joined = async () => {
      const r = await http.request('GET', `${V3}/rooms/${enc(roomId)}/joined_members`, { token: bobSession.token });
      return r.json?.joined?.[alice.userId] ? true : undefined;
    };
    await evidence('join', async () => {
      // The invite shows as the first row of the room list (light on the dark list once nheko has
      // synced it); its page has ACCEPT INVITE.
      await until('the invite in the room list', async () => (await nheko.pixel(130, 74))[0] > 200, 30_000);
      await retrying('A to join in nheko', async () => {
        await nheko.click(130, 74);
        await until('the invite page', async () => (await nheko.pixel(645, 394))[0] < 120, 3_000).catch(() => undefined);
        await nheko.shot('invite');
        await nheko.click(645, 394);
      }, joined);
    });
    await evidence('send', async () => {
      await until('bob to see A join', () => bob.getRoom(roomId)?.getMember(alice.userId)?.membership === 'join' || undefined);
      await nheko.click(600, 580); // the message input
      await nheko.type(sent);
      await nheko.key('Return');
      const ev = await until('an m.room.encrypted event from nheko', async () => {
        const page = await get(`${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=20`, bobSession.token);
        return (page.chunk as { type: string; sender: string; content: { device_id?: string } }[]).find((e) => e.type === 'm.room.encrypted' && e.sender === alice.userId);
      });
      assert.equal(ev.content.device_id, nhekoDevice);
      await until('bob to decrypt it', () => plaintexts(bob, roomId).includes(sent) || undefined, 60_000);
      await nheko.shot('sent');
    });
    // Nothing in clear text reached the room.
    const page = await get(`${V3}/rooms/${enc(roomId)}/messages?dir=b&limit=50`, bobSession.token);
    assert.ok(!(page.chunk as { type: string }[]).some((e) => e.type === 'm.room.message'), 'no m.room.message on the server');
  });

  test("reads matrix-js-sdk's reply: nheko marks it read and answers it, quoting its decrypted text", async () => {
    const { event_id: replyId } = await bob.sendTextMessage(roomId, reply);
    await evidence('reply', async () => {
      // nheko sends a read receipt once the reply is in its open timeline.
      await until('nheko\'s read receipt on the reply', () => {
        const room = bob.getRoom(roomId);
        const ev = room?.findEventById(replyId);
        return (ev && room!.getUsersReadUpTo(ev).includes(alice.userId)) || undefined;
      });
      await nheko.shot('reply');
      // Alt+Up picks the newest message (the reply) to answer; the answer quotes what it answers.
      await nheko.click(600, 580);
      await nheko.key('alt+Up');
      await nheko.type('roger');
      await nheko.shot('answer');
      await nheko.key('Return');
      const answer = await until('bob to decrypt nheko\'s answer', () => {
        const events = bob.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
        return events.find((e) => e.getSender() === alice.userId && e.isEncrypted() && !e.isDecryptionFailure() && e.getType() === 'm.room.message' && e.replyEventId === replyId);
      }, 60_000);
      // Its reply fallback quotes the text nheko decrypted: "> <@b:…> copy that, eagle\n\nroger".
      const body = String(answer.getContent()['body']);
      assert.ok(body.includes(`> <${bobSession.userId}> ${reply}`), `the answer quotes the reply: ${JSON.stringify(body)}`);
      assert.match(body, /roger$/);
    });
  });

  test('logs out from its menu: the device and its token are gone (its body is null)', async () => {
    const token = requests().find((r) => r.url.startsWith(`${V3}/sync`))?.token;
    assert.ok(token, 'nheko\'s access token, as it sent it');
    await evidence('logout', async () => {
      await retrying('nheko to log out', async () => {
        await nheko.click(199, 24); // the power button by the user's name
        await nheko.shot('logout-confirm');
        await nheko.key('Return'); // "Are you sure you want to log out?" OK
      }, async () => ((await nhekoDevices()).length === 0 ? true : undefined));
      await nheko.waitLog(/dropping to the login page/);
    });
    const logout = requests().find((r) => r.method === 'POST' && r.url === `${V3}/logout`);
    assert.equal(logout?.status, 200);
    assert.equal(logout?.body, 'null', 'nheko posts a JSON null');
    const whoami = await http.request('GET', `${V3}/account/whoami`, { token });
    assert.equal(whoami.status, 401);
    assert.equal(whoami.json.errcode, 'M_UNKNOWN_TOKEN');
  });

  test('the only errors nheko met are those the spec calls for', (t) => {
    const all = requests();
    const logout = all.findIndex((r) => r.method === 'POST' && r.url === `${V3}/logout`);
    const errors = all.map((r, i) => ({ ...r, i })).filter((r) => r.status >= 400);
    // Ids and tokens in paths are folded, so the list says which endpoints nheko uses.
    const shape = (url: string) => url.split('?')[0]!.replace(/\/(?:%21|%40|%24|!|@|\$)[^/]*/g, '/{id}').replace(/\/(send|state|typing|receipt)\/([^/]+)\/[^/]+/g, '/$1/$2/{key}');
    t.diagnostic(`nheko used: ${[...new Set(all.map((r) => `${r.method} ${shape(r.url)}`))].sort().join(', ')}`);
    t.diagnostic(`nheko made ${all.length} requests; ${errors.length} got an error`);
    for (const e of errors) t.diagnostic(`${e.method} ${e.url} -> ${e.status}`);
    const expected = (e: (typeof errors)[number]) =>
      // The key backup is asked for before nheko has made one: 404 M_NOT_FOUND.
      (e.method === 'GET' && e.url === `${V3}/room_keys/version` && e.status === 404) ||
      // Long-polls in flight across the logout, and anything after it: the token is gone.
      (e.i > logout && e.status === 401);
    assert.deepEqual(errors.filter((e) => !expected(e)).map((e) => `${e.method} ${e.url} -> ${e.status}`), []);
  });
});
