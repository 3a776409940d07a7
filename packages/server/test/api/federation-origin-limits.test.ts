// Per-origin inbound limits (decision 0040): a server flooding /send with concurrent transactions
// gets 429 M_LIMIT_EXCEEDED (retry_after_ms) for all but the one being applied, and another server's
// transaction sent during the flood is applied while the flooder's is held; a repeat of the
// transaction in flight gets its answer without being applied twice; the per-origin request bucket refuses a flooding origin (429) while
// another origin is served, and is off with `rate-limits off`; the fetch caps (missing and auth
// events asked of an origin) refuse beyond the concurrency and token limits without fetching.

import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../helpers.ts';
import type { MatrixError } from '@hush/protocol';
import { apps, REMOTE, seedKey, setup, signed, STRANGER, US, enc } from '../federation-fixture.ts';
import { TransactionReceiver, type EduSinks } from '../../src/federation/inbound/transactions.ts';
import type { RemotePduAcceptor } from '../../src/federation/inbound/accept.ts';
import type { ServerAccess } from '../../src/federation/inbound/access.ts';
import { OriginFetchLimits } from '../../src/federation/inbound/fetch-limits.ts';
import { RateLimiter } from '../../src/http/rate-limit.ts';

test('one transaction per origin at a time: concurrent ones of a flooding origin get 429 M_LIMIT_EXCEEDED, a repeat of the one in flight its answer, another origin is applied meanwhile', async () => {
  const t = await createTestApp();
  apps.push(t);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const accepted: string[] = [];
  // The acceptor holds REMOTE's PDUs until the gate opens: its first transaction stays in flight.
  const acceptor = {
    async accept(origin: string, raw: { n: string }) {
      if (origin === REMOTE) await gate;
      accepted.push(raw.n);
      return { outcome: 'accepted', eventId: `$${raw.n}` };
    },
    async eventIdOf() {
      return undefined;
    },
  } as unknown as RemotePduAcceptor;
  const rx = new TransactionReceiver(t.database.db, acceptor, {} as ServerAccess, {} as EduSinks);
  const txn = (origin: string, n: string) => ({ origin, pdus: [{ n }] });

  const first = rx.receive(REMOTE, 'f0', txn(REMOTE, 'f0'));
  // Settled within 100 ms, or 'pending' (a transaction queued behind the held one).
  const now = (p: Promise<unknown>) => Promise.race([p.then((v) => v, (e: unknown) => e), new Promise((r) => setTimeout(() => r('pending'), 100))]);
  const flood = Array.from({ length: 19 }, (_, i) => Promise.resolve().then(() => rx.receive(REMOTE, `f${i + 1}`, txn(REMOTE, `f${i + 1}`))));
  const repeat = rx.receive(REMOTE, 'f0', txn(REMOTE, 'f0'));
  // STRANGER's transaction is applied while REMOTE's first one is still held.
  assert.deepEqual(await rx.receive(STRANGER, 'o1', txn(STRANGER, 'o1')), { pdus: { $o1: {} } });
  assert.deepEqual(accepted, ['o1']);
  const refused = await Promise.all(flood.map(now));
  open();
  assert.ok(refused.every((e) => e instanceof Error), `each concurrent one refused at once, not queued: ${refused.map(String).join(', ').slice(0, 300)}`);
  for (const err of refused as MatrixError[]) {
    assert.equal(err.status, 429);
    assert.equal(err.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(Number(err.extra['retry_after_ms']) > 0);
  }
  assert.deepEqual(await first, { pdus: { $f0: {} } });
  assert.deepEqual(await repeat, await first);
  assert.deepEqual(accepted, ['o1', 'f0'], 'the repeat was not applied twice');
  // The sender retries one at a time: accepted in order.
  for (let i = 1; i < 20; i++) await rx.receive(REMOTE, `f${i}`, txn(REMOTE, `f${i}`));
  assert.deepEqual(accepted, ['o1', ...Array.from({ length: 20 }, (_, i) => `f${i}`)]);
  assert.equal(rx.stats.busy, 19);
});

test('the per-origin request bucket: a flooding origin gets 429 M_LIMIT_EXCEEDED, another origin is still served', async () => {
  const t = await createTestApp({ config: { 'server-name': US, federation: 'on', 'rate-limits': true } });
  apps.push(t);
  await seedKey(t, REMOTE);
  await seedKey(t, STRANGER);
  const alice = await t.register('alice');
  const uri = `/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId)}`;
  const ask = (origin: string) => t.req('GET', uri, { headers: signed('GET', uri, undefined, origin) });
  // The clock stands still (Date only: timers run), so the bucket does not refill however slowly
  // this machine answers: exactly the burst is served.
  mock.timers.enable({ apis: ['Date'], now: Date.now() });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 230; i++) statuses.push((await ask(REMOTE)).status);
    assert.equal(statuses.indexOf(429), 200, 'the burst of 200 is served, the next refused');
    assert.deepEqual([...new Set(statuses.slice(200))], [429]);
    const refused = await ask(REMOTE);
    assert.equal(refused.status, 429);
    assert.equal(refused.json.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(refused.json.retry_after_ms > 0);
    assert.equal((await ask(STRANGER)).status, 200, 'another origin has its own bucket');
    mock.timers.tick(1000);
    assert.equal((await ask(REMOTE)).status, 200, 'a second later the bucket has refilled');
  } finally {
    mock.timers.reset();
  }
});

test('with rate-limits off the per-origin bucket refuses nothing', async () => {
  const c = await setup(); // createTestApp: rate-limits off
  const uri = `/_matrix/federation/v1/query/profile?user_id=${enc(c.alice.userId)}`;
  for (let i = 0; i < 260; i++) assert.equal((await c.t.req('GET', uri, { headers: signed('GET', uri, undefined, REMOTE) })).status, 200);
});

test('fetch caps: beyond the concurrent fetches or the tokens of an origin, nothing is fetched; other origins are not affected', async () => {
  let now = 0;
  const limits = new OriginFetchLimits(new RateLimiter({ 'federation-fetch': { burst: 3, perSecond: 1 } }, () => now), 2);
  const gates: (() => void)[] = [];
  let fetched = 0;
  const slow = () =>
    new Promise<string>((resolve) => {
      fetched++;
      gates.push(() => resolve('answer'));
    });
  const a = limits.run('a.example', 'refused', slow);
  const b = limits.run('a.example', 'refused', slow);
  assert.equal(await limits.run('a.example', 'refused', slow), 'refused', 'a third at once is refused');
  const other = limits.run('b.example', 'refused', slow);
  assert.equal(fetched, 3);
  for (const g of gates) g();
  assert.deepEqual(await Promise.all([a, b, other]), ['answer', 'answer', 'answer']);
  assert.equal(await limits.run('a.example', 'refused', async () => 'answer'), 'answer', 'the third token');
  assert.equal(await limits.run('a.example', 'refused', async () => 'answer'), 'refused', 'out of tokens');
  now += 1000;
  assert.equal(await limits.run('a.example', 'refused', async () => 'answer'), 'answer', 'a token a second');
  assert.deepEqual(limits.stats, { made: 5, refused: 2 });
});
