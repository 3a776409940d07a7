// The outbound federation queue (decision 0031) on SQLite with a fake sender: batches of ≤ 50
// PDUs and ≤ 100 EDUs, a failed batch re-sent with the same transaction id by a new queue (a
// restart) and nothing lost or sent twice, backoff after a failure and catch-up (wake) clearing
// it, a destination's live lease refusing a second process, and a lease renewed while a slow
// transaction is in flight (no second process sends it too).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/storage/db.ts';
import { OutboundQueue } from '../../src/federation/outbound/queue.ts';
import { federationQueueStore } from '../../src/storage/federation-queue.store.ts';

type Sent = { destination: string; txnId: string; pdus: unknown[]; edus: unknown[] };

function fakeSender(sent: Sent[], answer: () => number) {
  return {
    async signedRequest(destination: string, _method: string, path: string, body?: unknown) {
      const b = body as { pdus: unknown[]; edus: unknown[] };
      sent.push({ destination, txnId: decodeURIComponent(path.split('/').pop() ?? ''), pdus: b.pdus, edus: b.edus });
      return { status: answer(), json: {} };
    },
  };
}

async function queuePdus(db: Awaited<ReturnType<typeof openDatabase>>['db'], destination: string, from: number, n: number): Promise<void> {
  await db.transaction().execute((tx) =>
    federationQueueStore.enqueue(tx, Array.from({ length: n }, (_, i) => ({ destination, kind: 'pdu', id: from + i, json: JSON.stringify({ n: from + i }), created_ts: 0 }))),
  );
}

async function settle(q: OutboundQueue, destination: string, ms = 50): Promise<void> {
  q.poke([destination]);
  await new Promise((r) => setTimeout(r, ms));
}

test('120 PDUs and 150 EDUs go as 3 transactions of ≤ 50 PDUs and ≤ 100 EDUs, in order', async () => {
  const h = await openDatabase(':memory:');
  const sent: Sent[] = [];
  const q = new OutboundQueue(h.db, 'us.example', fakeSender(sent, () => 200), { scanMs: 3_600_000 });
  await queuePdus(h.db, 'b.example', 1, 120);
  for (let i = 0; i < 150; i++) await h.db.transaction().execute((tx) => federationQueueStore.enqueue(tx, [{ destination: 'b.example', kind: 'edu', id: 1000 + i, json: '{"edu_type":"m.typing","content":{}}', created_ts: 0 }]));
  await settle(q, 'b.example', 200);
  assert.deepEqual(sent.map((s) => [s.pdus.length, s.edus.length]), [[50, 100], [50, 50], [20, 0]]);
  assert.deepEqual(sent.flatMap((s) => s.pdus.map((p) => (p as { n: number }).n)), Array.from({ length: 120 }, (_, i) => i + 1));
  assert.equal(new Set(sent.map((s) => s.txnId)).size, 3);
  assert.deepEqual(await federationQueueStore.oldest(h.db, 'b.example', 'pdu', 10), []);
  await q.stop();
  await h.close();
});

test('a failed batch is re-sent after a restart with the same transaction id: nothing lost, nothing twice; backoff until wake()', async () => {
  const h = await openDatabase(':memory:');
  const sent: Sent[] = [];
  let up = false;
  const first = new OutboundQueue(h.db, 'us.example', fakeSender(sent, () => (up ? 200 : 503)), { scanMs: 3_600_000, backoffBaseMs: 3_600_000 });
  await queuePdus(h.db, 'b.example', 1, 20);
  await settle(first, 'b.example');
  assert.equal(sent.length, 1);
  const failedTxn = sent[0]!.txnId;
  // Backing off: a poke sends nothing.
  await settle(first, 'b.example');
  assert.equal(sent.length, 1);
  const row = await federationQueueStore.destination(h.db, 'b.example');
  assert.equal(row?.failures, 1);
  assert.ok((row?.retry_at ?? 0) > Date.now());
  await first.stop();
  // "Restart": a new queue (another owner) over the same database, more queued meanwhile.
  await queuePdus(h.db, 'b.example', 21, 5);
  up = true;
  const second = new OutboundQueue(h.db, 'us.example', fakeSender(sent, () => 200), { scanMs: 3_600_000 });
  second.wake('b.example');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sent[1]?.txnId, failedTxn, 'the recorded batch is re-sent under its transaction id');
  const delivered = sent.slice(1).flatMap((s) => s.pdus.map((p) => (p as { n: number }).n));
  assert.deepEqual(delivered, Array.from({ length: 25 }, (_, i) => i + 1));
  assert.equal((await federationQueueStore.destination(h.db, 'b.example'))?.failures, 0);
  await second.stop();
  await h.close();
});

test("a live lease of another process is not taken; an expired one is", async () => {
  const h = await openDatabase(':memory:');
  await queuePdus(h.db, 'b.example', 1, 1);
  const now = Date.now();
  assert.equal(await federationQueueStore.takeLease(h.db, 'b.example', 'p1', now, 60_000), true);
  assert.equal(await federationQueueStore.takeLease(h.db, 'b.example', 'p2', now, 60_000), false);
  assert.equal(await federationQueueStore.takeLease(h.db, 'b.example', 'p1', now, 60_000), true, 'renewal');
  assert.equal(await federationQueueStore.takeLease(h.db, 'b.example', 'p2', now + 61_000, 60_000), true, 'expired: taken over');
  await h.close();
});

test('a transaction in flight longer than the lease keeps it (renewed while sending): another process does not send it too', async () => {
  const h = await openDatabase(':memory:');
  let now = Date.now();
  const clock = () => now;
  const sent: Sent[] = [];
  let release!: () => void;
  const slow = {
    async signedRequest(destination: string, method: string, path: string, body?: unknown) {
      await new Promise<void>((r) => (release = r));
      return fakeSender(sent, () => 200).signedRequest(destination, method, path, body);
    },
  };
  const first = new OutboundQueue(h.db, 'us.example', slow, { scanMs: 3_600_000, now: clock, heartbeatMs: 10 });
  const second = new OutboundQueue(h.db, 'us.example', fakeSender(sent, () => 200), { scanMs: 3_600_000, now: clock });
  await queuePdus(h.db, 'b.example', 1, 3);
  first.poke(['b.example']);
  await new Promise((r) => setTimeout(r, 50));
  // Past any lease's life (the first process's request hangs); its renewals keep the lease.
  now += 120_000;
  await new Promise((r) => setTimeout(r, 50));
  await settle(second, 'b.example');
  assert.equal(sent.length, 0, 'the second process did not send the transaction in flight');
  release();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]?.pdus.map((p) => (p as { n: number }).n), [1, 2, 3]);
  await Promise.all([first.stop(), second.stop()]);
  await h.close();
});
