// Unit tests of the checks made before any request: IDs, homeserver URLs, login names, invite
// targets and `hush lists` export files.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError, EXIT } from './output.ts';
import { checkIds, checkLoginUser, parseExport, parseHomeserver, parseTargets, parseTimeout } from './validate.ts';

const usageError = (message: RegExp) => (err: unknown) => err instanceof CliError && err.code === EXIT.USAGE && message.test(err.message);

describe('checkIds', () => {
  test('accepts valid IDs of each kind', () => {
    checkIds('user', ['@alice:example.org', '@bob:[::1]:8448']);
    checkIds('server', ['example.org', 'example.org:8448', '1.2.3.4']);
    checkIds('room', ['!abc:example.org']);
    checkIds('user', []);
  });

  test('names every bad entry (the first five, then a count)', () => {
    assert.throws(() => checkIds('user', ['@ok:x.example', 'bob', '@bad id:x']), usageError(/^not a Matrix user ID: "bob", "@bad id:x" \(expected @name:server\)$/));
    const many = Array.from({ length: 8 }, (_, i) => `x${i}`);
    assert.throws(() => checkIds('server', many.map((m) => `${m} `)), usageError(/and 3 more/));
    assert.throws(() => checkIds('room', ['#alias:x.example'], 'file: rooms: '), usageError(/^file: rooms: not a room ID: "#alias:x\.example"/));
  });
});

describe('parseHomeserver', () => {
  test('keeps http(s) URLs, without trailing slashes', () => {
    assert.equal(parseHomeserver('https://matrix.example.org/'), 'https://matrix.example.org');
    assert.equal(parseHomeserver('http://127.0.0.1:8008'), 'http://127.0.0.1:8008');
    assert.equal(parseHomeserver('https://example.org/prefix//'), 'https://example.org/prefix');
  });

  test('refuses what is not an http(s) base URL', () => {
    for (const bad of ['matrix.example.org', 'ftp://example.org', 'https://example.org/?x=1', 'https://example.org/#f', '']) {
      assert.throws(() => parseHomeserver(bad), usageError(/homeserver URL/), bad);
    }
  });
});

describe('checkLoginUser', () => {
  test('a localpart, or a full user ID', () => {
    checkLoginUser('alice');
    checkLoginUser('Alice.Old=style');
    checkLoginUser('@alice:example.org');
  });

  test('refuses spaces, empty names and broken full IDs', () => {
    for (const bad of ['', 'al ice', '@alice', 'alice:example.org:x:y z', '@:example.org']) assert.throws(() => checkLoginUser(bad), usageError(/not a (user name|Matrix user ID)/), bad);
  });
});

describe('parseTargets', () => {
  test('keeps the kinds given, in user, server, room order', () => {
    assert.deepEqual(parseTargets({ room: ['!r:x.example'], user: ['@u:x.example'] }), [
      ['user', ['@u:x.example']],
      ['room', ['!r:x.example']],
    ]);
  });

  test('needs at least one target, each valid', () => {
    assert.throws(() => parseTargets({}), usageError(/at least one --user, --server or --room/));
    assert.throws(() => parseTargets({ user: [], server: ['bad server'] }), usageError(/not a server name/));
  });
});

describe('parseExport', () => {
  const full = {
    version: 1,
    ignored_users: ['@a:x.example'],
    ignored_invites: { users: ['@b:x.example'], servers: ['spam.example'], rooms: ['!r:x.example'] },
    invite_permission: 'block',
    msc4155: { blocked_servers: ['*.spam.example'] },
    policy_rooms: ['!p:x.example'],
  };

  test('reads what hush lists export writes', () => {
    assert.deepEqual(parseExport(JSON.stringify(full), 'f.json'), full);
  });

  test('missing lists count as empty', () => {
    assert.deepEqual(parseExport('{"version": 1}', 'f.json'), {
      version: 1,
      ignored_users: [],
      ignored_invites: { users: [], servers: [], rooms: [] },
      invite_permission: 'allow',
      msc4155: {},
      policy_rooms: [],
    });
  });

  test('refuses other documents, naming the file and the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ version: 2 }, /^f\.json is not a hush lists export/],
      [[1], /is not a hush lists export/],
      [{ version: 1, ignored_users: '@a:x.example' }, /^f\.json: ignored_users must be a list of strings$/],
      [{ version: 1, ignored_users: [1] }, /ignored_users must be a list of strings/],
      [{ version: 1, ignored_invites: [] }, /ignored_invites must be an object/],
      [{ version: 1, ignored_invites: { servers: ['no way'] } }, /ignored_invites\.servers: not a server name: "no way"/],
      [{ version: 1, invite_permission: 'sometimes' }, /invite_permission must be one of allow, block, deny_public/],
      [{ version: 1, msc4155: { frobnicate: [] } }, /msc4155\.frobnicate is not one of/],
      [{ version: 1, policy_rooms: ['#a:x.example'] }, /policy_rooms: not a room ID/],
    ];
    for (const [doc, message] of cases) assert.throws(() => parseExport(JSON.stringify(doc), 'f.json'), usageError(message), JSON.stringify(doc));
    assert.throws(() => parseExport('{"version": 1,', 'f.json'), usageError(/^f\.json is not JSON: /));
  });
});

describe('parseTimeout', () => {
  test('seconds, fractions allowed, 0 for no limit; undefined when not given', () => {
    assert.equal(parseTimeout('1'), 1000);
    assert.equal(parseTimeout(' 2.5 '), 2500);
    assert.equal(parseTimeout('0'), 0);
    assert.equal(parseTimeout(undefined), undefined);
  });
  test('anything else is a usage error naming where it came from', () => {
    for (const bad of ['', '-1', 'abc', '1e3', '86401', 'NaN', 'Infinity', '1s']) {
      assert.throws(() => parseTimeout(bad, '$HUSH_TIMEOUT'), (e: unknown) => e instanceof CliError && e.code === EXIT.USAGE && e.message.startsWith('$HUSH_TIMEOUT takes'), bad);
    }
  });
});

describe('parseExport: reasons', () => {
  test('kept by id for listed entries; not an object of strings, or naming an entry not listed, is a usage error', () => {
    const base = { version: 1, ignored_invites: { users: ['@a:x.example'], servers: ['s.example'], rooms: [] } };
    const ok = parseExport(JSON.stringify({ ...base, ignored_invites: { ...base.ignored_invites, reasons: { 's.example': 'spam' } } }), 'f');
    assert.deepEqual(ok.ignored_invites.reasons, { 's.example': 'spam' });
    assert.equal(parseExport(JSON.stringify(base), 'f').ignored_invites.reasons, undefined);
    for (const reasons of [[], { 's.example': 1 }, 'x']) {
      assert.throws(() => parseExport(JSON.stringify({ ...base, ignored_invites: { ...base.ignored_invites, reasons } }), 'f'), /reasons must be an object of strings/);
    }
    assert.throws(() => parseExport(JSON.stringify({ ...base, ignored_invites: { ...base.ignored_invites, reasons: { 'other.example': 'x' } } }), 'f'), /not listed: "other.example"/);
  });
});

