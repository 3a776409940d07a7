// The KDF never runs on more slots than it has: a burst of password hashes queues (issue 19.4).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, kdfLoad, verifyPassword } from './secrets.ts';

test('a burst of hashes runs at most `slots` at once and every one completes correctly', async () => {
  const { slots } = kdfLoad();
  let most = 0;
  let queued = 0;
  const watch = setInterval(() => {
    const l = kdfLoad();
    most = Math.max(most, l.running);
    queued = Math.max(queued, l.waiting);
  }, 1);
  try {
    const hashes = await Promise.all(Array.from({ length: slots + 3 }, (_, i) => hashPassword(`pw${i}`)));
    assert.ok(most <= slots, `at most ${slots} at once (saw ${most})`);
    assert.ok(queued >= 1, 'the rest waited');
    assert.equal(await verifyPassword('pw0', hashes[0]!), true);
    assert.equal(await verifyPassword('wrong', hashes[0]!), false);
  } finally {
    clearInterval(watch);
  }
  assert.deepEqual({ ...kdfLoad(), slots: 0 }, { running: 0, waiting: 0, slots: 0 }, 'all slots given back');
});
