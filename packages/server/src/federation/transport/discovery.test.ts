// Server discovery in the spec's order, with a fake resolver that records what was asked: IP
// literals and explicit ports ask nothing; well-known comes before SRV; _matrix-fed before
// _matrix; Host and certificate names per step; and the well-known cache and its bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CachingResolver,
  discover,
  splitServerName,
  wellKnownCacheMs,
  WELL_KNOWN_DEFAULT_MS,
  WELL_KNOWN_ERROR_FIRST_MS,
  WELL_KNOWN_ERROR_MAX_MS,
  WELL_KNOWN_MAX_MS,
  WELL_KNOWN_MIN_MS,
  type DiscoveryResolver,
  type SrvTarget,
} from './discovery.ts';

function fake(wellKnown: Record<string, string>, srv: Record<string, SrvTarget[]>): DiscoveryResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async resolveSrv(name) {
      asked.push(`srv ${name}`);
      return srv[name] ?? [];
    },
    async fetchWellKnown(hostname) {
      asked.push(`well-known ${hostname}`);
      return { server: wellKnown[hostname], cacheMs: WELL_KNOWN_DEFAULT_MS };
    },
  };
}

const rec = (name: string, port: number, priority = 10, weight = 5): SrvTarget => ({ name, port, priority, weight });

test('server names split into hostname and port, IPv6 without brackets', () => {
  assert.deepEqual(splitServerName('example.org'), { hostname: 'example.org', port: undefined, ipLiteral: false });
  assert.deepEqual(splitServerName('localhost:8448'), { hostname: 'localhost', port: 8448, ipLiteral: false });
  assert.deepEqual(splitServerName('1.2.3.4:99'), { hostname: '1.2.3.4', port: 99, ipLiteral: true });
  assert.deepEqual(splitServerName('[2001:db8::1]:8449'), { hostname: '2001:db8::1', port: 8449, ipLiteral: true });
  assert.deepEqual(splitServerName('[::1]'), { hostname: '::1', port: undefined, ipLiteral: true });
});

test('1. IP literals, with or without port: no look-ups; Host is the server name; certificate for the IP', async () => {
  const r = fake({}, {});
  assert.deepEqual(await discover('1.2.3.4', r), { serverName: '1.2.3.4', host: '1.2.3.4', port: 8448, hostHeader: '1.2.3.4', tlsName: '1.2.3.4', step: 'ip-literal' });
  assert.deepEqual(await discover('[2001:db8::1]:8449', r), {
    serverName: '[2001:db8::1]:8449', host: '2001:db8::1', port: 8449, hostHeader: '[2001:db8::1]:8449', tlsName: '2001:db8::1', step: 'ip-literal',
  });
  assert.deepEqual(r.asked, []);
});

test('2. a hostname with a port: no look-ups (A/AAAA at connect); Host with port; certificate for the hostname', async () => {
  const r = fake({ 'example.org': 'elsewhere.example' }, { '_matrix-fed._tcp.example.org': [rec('srv.example', 1)] });
  assert.deepEqual(await discover('example.org:8449', r), { serverName: 'example.org:8449', host: 'example.org', port: 8449, hostHeader: 'example.org:8449', tlsName: 'example.org', step: 'explicit-port' });
  assert.deepEqual(r.asked, []);
});

test('3. well-known delegation to an IP literal, to host:port, to a name with SRV (fed, then legacy), to a name on 8448', async () => {
  const r = fake(
    { 'ip.example': '5.6.7.8', 'port.example': 'deleg.example:443', 'srv.example': 'deleg-srv.example', 'legacy.example': 'deleg-legacy.example', 'plain.example': 'deleg-plain.example' },
    {
      '_matrix-fed._tcp.deleg-srv.example': [rec('b.target.example.', 8450, 20), rec('a.target.example.', 8449, 10)],
      '_matrix._tcp.deleg-srv.example': [rec('never.example', 1)],
      '_matrix._tcp.deleg-legacy.example': [rec('old.target.example', 8451)],
      '_matrix-fed._tcp.plain.example': [rec('wrong.example', 1)], // the delegated name is looked up, not the original
    },
  );
  assert.deepEqual(await discover('ip.example', r), { serverName: 'ip.example', host: '5.6.7.8', port: 8448, hostHeader: '5.6.7.8', tlsName: '5.6.7.8', step: 'well-known-ip-literal' });
  assert.deepEqual(await discover('port.example', r), { serverName: 'port.example', host: 'deleg.example', port: 443, hostHeader: 'deleg.example:443', tlsName: 'deleg.example', step: 'well-known-explicit-port' });
  assert.deepEqual(await discover('srv.example', r), {
    serverName: 'srv.example', host: 'a.target.example', port: 8449, hostHeader: 'deleg-srv.example', tlsName: 'deleg-srv.example', step: 'well-known-srv',
  });
  assert.deepEqual(await discover('legacy.example', r), {
    serverName: 'legacy.example', host: 'old.target.example', port: 8451, hostHeader: 'deleg-legacy.example', tlsName: 'deleg-legacy.example', step: 'well-known-srv-legacy',
  });
  r.asked.length = 0;
  assert.deepEqual(await discover('plain.example', r), {
    serverName: 'plain.example', host: 'deleg-plain.example', port: 8448, hostHeader: 'deleg-plain.example', tlsName: 'deleg-plain.example', step: 'well-known-default-port',
  });
  assert.deepEqual(r.asked, ['well-known plain.example', 'srv _matrix-fed._tcp.deleg-plain.example', 'srv _matrix._tcp.deleg-plain.example']);
});

test('4.-6. no well-known: SRV _matrix-fed, then _matrix, then 8448 — Host and certificate stay the original hostname', async () => {
  const r = fake({}, { '_matrix-fed._tcp.fed.example': [rec('t.example', 443)], '_matrix._tcp.old.example': [rec('t2.example', 8449)], '_matrix-fed._tcp.dot.example': [rec('.', 0)] });
  assert.deepEqual(await discover('fed.example', r), { serverName: 'fed.example', host: 't.example', port: 443, hostHeader: 'fed.example', tlsName: 'fed.example', step: 'srv' });
  assert.deepEqual(await discover('old.example', r), { serverName: 'old.example', host: 't2.example', port: 8449, hostHeader: 'old.example', tlsName: 'old.example', step: 'srv-legacy' });
  r.asked.length = 0;
  assert.deepEqual(await discover('none.example', r), { serverName: 'none.example', host: 'none.example', port: 8448, hostHeader: 'none.example', tlsName: 'none.example', step: 'default-port' });
  assert.deepEqual(r.asked, ['well-known none.example', 'srv _matrix-fed._tcp.none.example', 'srv _matrix._tcp.none.example']);
  // A "." target means "no service here": fall through to the next step.
  assert.equal((await discover('dot.example', r)).step, 'default-port');
});

test('an invalid m.server is ignored (step 4 on); a non-server-name input is a TypeError', async () => {
  const r = fake({ 'bad.example': 'not a server name!' }, {});
  assert.equal((await discover('bad.example', r)).step, 'default-port');
  await assert.rejects(discover('bad name', r), TypeError);
});

test('well-known cache time: max-age, no-store, Expires, default 24 h, bounds 5 min … 48 h', () => {
  const now = Date.parse('2026-12-01T00:00:00Z');
  assert.equal(wellKnownCacheMs({}, now), WELL_KNOWN_DEFAULT_MS);
  assert.equal(wellKnownCacheMs({ cacheControl: 'public, max-age=3600' }, now), 3600_000);
  assert.equal(wellKnownCacheMs({ cacheControl: 'max-age=1' }, now), WELL_KNOWN_MIN_MS);
  assert.equal(wellKnownCacheMs({ cacheControl: 'max-age=99999999' }, now), WELL_KNOWN_MAX_MS);
  assert.equal(wellKnownCacheMs({ cacheControl: 'no-store' }, now), WELL_KNOWN_MIN_MS);
  assert.equal(wellKnownCacheMs({ expires: 'Tue, 01 Dec 2026 02:00:00 GMT' }, now), 2 * 3600_000);
  assert.equal(wellKnownCacheMs({ expires: 'Tue, 01 Dec 2026 02:00:00 GMT', date: 'Tue, 01 Dec 2026 01:00:00 GMT' }, now), 3600_000);
  assert.equal(wellKnownCacheMs({ expires: 'garbage' }, now), WELL_KNOWN_DEFAULT_MS);
});

test('CachingResolver keeps answers for their time, failures for 2 min doubling up to 1 h, and shares concurrent look-ups', async () => {
  let now = 0;
  let calls = 0;
  let answer: string | undefined = 'deleg.example';
  let cacheMs = 3600_000;
  const inner: DiscoveryResolver = {
    resolveSrv: async () => [],
    fetchWellKnown: async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      return { server: answer, cacheMs };
    },
  };
  const c = new CachingResolver(inner, () => now);
  const [a, b] = await Promise.all([c.fetchWellKnown('x.example'), c.fetchWellKnown('x.example')]);
  assert.equal(a.server, 'deleg.example');
  assert.equal(b.server, 'deleg.example');
  assert.equal(calls, 1);
  now = 3600_000 - 1;
  await c.fetchWellKnown('x.example');
  assert.equal(calls, 1);
  now = 3600_000;
  answer = undefined;
  cacheMs = 0;
  assert.equal((await c.fetchWellKnown('x.example')).server, undefined);
  assert.equal(calls, 2);
  // failures: cached 2 min, then 4, 8 … at most 1 h
  let expected = WELL_KNOWN_ERROR_FIRST_MS;
  for (let i = 0; i < 8; i++) {
    now += expected - 1;
    await c.fetchWellKnown('x.example');
    assert.equal(calls, 2 + i, `still cached after failure ${i + 1}`);
    now += 1;
    await c.fetchWellKnown('x.example');
    assert.equal(calls, 3 + i);
    expected = Math.min(WELL_KNOWN_ERROR_MAX_MS, expected * 2);
  }
  assert.equal(expected, WELL_KNOWN_ERROR_MAX_MS);
  // a thrown error counts as a failure, not an exception for the caller
  const failing = new CachingResolver({ resolveSrv: async () => [], fetchWellKnown: async () => Promise.reject(new Error('boom')) }, () => now);
  assert.equal((await failing.fetchWellKnown('y.example')).server, undefined);
});
