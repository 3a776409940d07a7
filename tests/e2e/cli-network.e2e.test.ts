// `hush` as a real process against "homeservers" that misbehave: one that accepts and drops every
// connection, one that never answers, and ones that answer 200 with other JSON, 200 with text, or a
// proxy's HTML 502. Every case ends promptly with its exit code and message, never a false success,
// and `hush login` saves no session from them. Also --timeout / $HUSH_TIMEOUT checked before sending.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { hushCli, tempConfigDir } from '../../packages/cli/test/harness.ts';

interface Fake {
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>, counter: { n: number }): Promise<Fake> {
  server.on('connection', (s: Socket) => {
    counter.n++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => counter.n,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Accepts each connection and closes it at once (a crashing proxy, a firewall's reset). */
const dropping = () => listen(createTcpServer((s) => s.destroy()), new Set(), { n: 0 });
/** Accepts each connection and never says a word. */
const silent = () => listen(createTcpServer(() => undefined), new Set(), { n: 0 });
/** Answers every request with this status, content type and body. */
const answering = (status: number, type: string, body: string) =>
  listen(
    createHttpServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body)),
    new Set(),
    { n: 0 },
  );

const whoami = (url: string, extra: string[] = [], env: Record<string, string> = {}) => hushCli(['whoami', '--homeserver', url, '--token', 't', ...extra], { env });

/** `hush login --password-stdin` into a fresh config dir; returns the run and whether anything was written there. */
async function login(url: string, extra: string[] = []) {
  const dir = tempConfigDir();
  const r = await hushCli(['login', '--homeserver', url, '--user', 'alice', '--password-stdin', ...extra], { configDir: dir, stdin: 'pw\n' });
  return { ...r, saved: existsSync(join(dir, 'session.json')), files: readdirSync(dir) };
}

async function withFake(make: () => Promise<Fake>, body: (f: Fake) => Promise<void>): Promise<void> {
  const f = await make();
  try {
    await body(f);
  } finally {
    await f.close();
  }
}

describe('hush against servers that are not working homeservers', () => {
  test('accepts and drops the connection: exit 4, "connection reset", at once (no unsettled await, exit 13)', () =>
    withFake(dropping, async (f) => {
      const t0 = Date.now();
      const who = await whoami(f.url);
      assert.deepEqual([who.code, who.stdout, who.stderr], [4, '', `hush: cannot reach ${f.url}: connection reset\n`]);
      assert.ok(Date.now() - t0 < 15_000, 'without waiting for the timeout');
      const r = await login(f.url);
      assert.deepEqual([r.code, r.stdout, r.stderr], [4, '', `hush: cannot reach ${f.url}: connection reset\n`]);
      assert.equal(r.saved, false);
      const list = await hushCli(['ignore', 'list', '--homeserver', f.url, '--token', 't', '--json']);
      assert.equal(list.code, 4);
      assert.deepEqual(JSON.parse(list.stderr), { error: `cannot reach ${f.url}: connection reset`, exit_code: 4 });
      assert.ok(f.connections() >= 3);
    }));

  test('accepts and never answers: --timeout 1 gives up after about a second, exit 4 "no answer within 1 s"', () =>
    withFake(silent, async (f) => {
      const t0 = Date.now();
      const who = await whoami(f.url, ['--timeout', '1']);
      const took = Date.now() - t0;
      assert.deepEqual([who.code, who.stdout, who.stderr], [4, '', `hush: cannot reach ${f.url}: no answer within 1 s\n`]);
      assert.ok(took >= 1000 && took < 15_000, `took ${took} ms`);
      const r = await login(f.url, ['--timeout', '1']);
      assert.deepEqual([r.code, r.stderr, r.saved], [4, `hush: cannot reach ${f.url}: no answer within 1 s\n`, false]);
      // $HUSH_TIMEOUT does the same; the flag wins over it.
      const env = await whoami(f.url, [], { HUSH_TIMEOUT: '0.5' });
      assert.deepEqual([env.code, env.stderr], [4, `hush: cannot reach ${f.url}: no answer within 500 ms\n`]);
      const flag = await whoami(f.url, ['--timeout', '1'], { HUSH_TIMEOUT: '0.5' });
      assert.equal(flag.stderr, `hush: cannot reach ${f.url}: no answer within 1 s\n`);
    }));

  test('200 with JSON that is not a Matrix answer: exit 6, no "logged in as undefined", no session saved', () =>
    withFake(
      () => answering(200, 'application/json', '{"foo":1}'),
      async (f) => {
        const r = await login(f.url);
        assert.equal(r.code, 6, r.stderr);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, `hush: ${f.url} did not answer like a Matrix homeserver (login: user_id is missing): nothing from it was used\n`);
        assert.equal(r.saved, false);
        assert.deepEqual(r.files, [], 'nothing at all written to the config dir');
        const json = await login(f.url, ['--json']);
        assert.deepEqual(JSON.parse(json.stderr), { error: `${f.url} did not answer like a Matrix homeserver (login: user_id is missing): nothing from it was used`, exit_code: 6 });
        const token = await hushCli(['login', '--homeserver', f.url, '--token', 't'], { configDir: tempConfigDir() });
        assert.equal(token.code, 6, 'login --token checks whoami\'s answer the same way');
        assert.match(token.stderr, /getTokenOwner: user_id is missing/);
        const who = await whoami(f.url);
        assert.deepEqual([who.code, who.stdout], [6, '']);
      },
    ));

  test('200 with a body that is not JSON: exit 6, no session saved', () =>
    withFake(
      () => answering(200, 'text/plain', 'hello'),
      async (f) => {
        const r = await login(f.url);
        assert.deepEqual([r.code, r.stdout, r.saved], [6, '', false]);
        assert.equal(r.stderr, `hush: ${f.url} answered 200 OK with a text/plain body that is not JSON (is it a Matrix homeserver?): nothing from it was used\n`);
      },
    ));

  test('a proxy\'s HTML 502: exit 4 (cannot reach the homeserver behind it), no session saved', () =>
    withFake(
      () => answering(502, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>'),
      async (f) => {
        const r = await login(f.url);
        assert.deepEqual([r.code, r.stdout, r.saved], [4, '', false]);
        assert.equal(r.stderr, `hush: cannot reach ${f.url}: it answered 502 Bad Gateway without a Matrix body (a proxy whose homeserver is down?)\n`);
        const who = await whoami(f.url);
        assert.equal(who.code, 4);
      },
    ));

  test('a bad --timeout or $HUSH_TIMEOUT is exit 2 before anything is sent', () =>
    withFake(silent, async (f) => {
      for (const [args, env] of [
        [['--timeout', 'soon'], {}],
        [['--timeout', '-1'], {}],
        [[], { HUSH_TIMEOUT: '1e9' }],
      ] as [string[], Record<string, string>][]) {
        const r = await whoami(f.url, args, env);
        assert.equal(r.code, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
        assert.match(r.stderr, /takes a number of seconds/);
      }
      const r = await login(f.url, ['--timeout', 'x']);
      assert.equal(r.code, 2);
      assert.equal(f.connections(), 0, 'no connection was made');
    }));
});
