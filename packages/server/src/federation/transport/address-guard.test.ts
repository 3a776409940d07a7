// The private-address guard: which addresses are refused, and the lookup hook that filters DNS
// answers at connect time (so a rebinding name cannot slip a private address through).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { guardedLookup, isPrivateAddress, type LookupFunction } from './address-guard.ts';

test('private, loopback, link-local, unspecified and special ranges are refused; public addresses pass', () => {
  const refused = [
    '127.0.0.1', '127.255.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '0.0.0.0', '100.64.0.1', '224.0.0.1', '255.255.255.255', '192.0.2.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1',
    '64:ff9b::10.0.0.1', '[::1]', 'not-an-ip', '',
  ];
  const allowed = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2a00:1450::1'];
  for (const a of refused) assert.equal(isPrivateAddress(a), true, a);
  for (const a of allowed) assert.equal(isPrivateAddress(a), false, a);
});

function fakeDns(answers: Record<string, LookupAddress[]>): LookupFunction {
  return (hostname, _options, callback) => {
    const list = answers[hostname];
    if (!list) return callback(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }), []);
    callback(null, list);
  };
}

const lookupP = (fn: LookupFunction, host: string, all: boolean) =>
  new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((resolve) =>
    fn(host, { all }, (err, address, family) => resolve({ err, address, ...(family !== undefined ? { family } : {}) })),
  );

test('the lookup hook drops private answers, fails when none is left, and passes all with allowPrivate', async () => {
  const dns = fakeDns({
    'mixed.example': [{ address: '10.0.0.5', family: 4 }, { address: '93.184.216.34', family: 4 }],
    'rebind.example': [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }],
  });
  const guard = guardedLookup(false, dns);
  assert.deepEqual((await lookupP(guard, 'mixed.example', true)).address, [{ address: '93.184.216.34', family: 4 }]);
  const single = await lookupP(guard, 'mixed.example', false);
  assert.equal(single.address, '93.184.216.34');
  assert.equal(single.family, 4);
  const refused = await lookupP(guard, 'rebind.example', false);
  assert.equal(refused.err?.code, 'EPRIVATEADDRESS');
  assert.equal((await lookupP(guard, 'nowhere.example', true)).err?.code, 'ENOTFOUND');
  const open = guardedLookup(true, dns);
  assert.deepEqual((await lookupP(open, 'rebind.example', true)).address, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
});

test('a real connection to a name resolving to loopback is refused at connect time', async () => {
  const { connect } = await import('node:net');
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    const s = connect({ host: 'localhost', port: 9, lookup: guardedLookup(false) as never });
    s.once('error', resolve);
    s.once('connect', () => {
      s.destroy();
      resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
    });
  });
  assert.equal(err.code, 'EPRIVATEADDRESS');
});
