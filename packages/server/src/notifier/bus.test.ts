import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame, MAX_PAYLOAD_BYTES, unframe, type BusMessage } from './bus.ts';

test('a long target list is split over payloads under the limit, every id kept once', () => {
  const rooms = Array.from({ length: 3_000 }, (_, i) => `!room${i}:ünïcödé.example`);
  const users = Array.from({ length: 500 }, (_, i) => `@user${i}:example.org`);
  const payloads = frame('o1', [{ k: 'n', s: 42, r: rooms, u: users }, { k: 'tokens', user: '@a:x' }]);
  assert.ok(payloads.length > 1);
  for (const p of payloads) assert.ok(Buffer.byteLength(p) <= MAX_PAYLOAD_BYTES, 'bytes, not characters, are counted');
  const got = payloads.flatMap((p) => unframe(p)?.messages ?? []);
  const n = got.filter((m): m is Extract<BusMessage, { k: 'n' }> => m.k === 'n');
  assert.ok(n.every((m) => m.s === 42));
  assert.deepEqual(n.flatMap((m) => m.r ?? []), rooms);
  assert.deepEqual(n.flatMap((m) => m.u ?? []), users);
  assert.deepEqual(got.filter((m) => m.k === 'tokens'), [{ k: 'tokens', user: '@a:x' }]);
  assert.ok(payloads.every((p) => unframe(p)?.origin === 'o1'));
});

test('small messages share one payload; an id too long for any payload becomes "everyone re-check"', () => {
  assert.equal(frame('o', [{ k: 'n', s: 1, r: ['!a:x'] }, { k: 'n', s: 2, u: ['@b:x'] }, { k: 'ack', id: 'z' }]).length, 1);
  const huge = frame('o', [{ k: 'n', s: 3, r: ['!' + 'x'.repeat(MAX_PAYLOAD_BYTES)] }]);
  assert.deepEqual(huge.flatMap((p) => unframe(p)?.messages ?? []), [{ k: 'all' }]);
});

test('payloads that are not ours, or carry malformed messages, are dropped', () => {
  assert.equal(unframe('not json'), undefined);
  assert.equal(unframe('{"m":[]}'), undefined);
  assert.equal(unframe('{"o":"x","m":{}}'), undefined);
  const bad = [
    { k: 'n', s: '1' },
    { k: 'n', s: 1, r: '!a:x' },
    { k: 'n', s: 1, u: [1] },
    { k: 'typing', t: 1, room: '!r:x', user: '@u:x' },
    { k: 'typing', t: 1, room: '!r:x', user: '@u:x', until: 5, if: 'x' },
    { k: 'tokens', user: 1 },
    { k: 'ack' },
    { k: 'other' },
    null,
    7,
  ];
  const good = { k: 'typing', t: 2, room: '!r:x', user: '@u:x', until: 0, if: 9 };
  assert.deepEqual(unframe(JSON.stringify({ o: 'x', m: [...bad, good] }))?.messages, [good]);
});
