// The start-up failures told in one line: which errors become a StartupError, and what it says.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseFailure, databaseName, listenFailure, StartupError } from './startup-errors.ts';
import { DatabaseBusy } from './storage/db.ts';

const withCode = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code });
const PG = 'postgres://hush:s3cret@db.example:6543/hush';

describe('listenFailure', () => {
  const config = { port: 8008, bind: '127.0.0.1' };
  test('port in use, no permission, no such address or host: one line naming the flag', () => {
    assert.equal(listenFailure(withCode('EADDRINUSE'), config)?.message, 'port 8008 is already in use on 127.0.0.1 (--port)');
    assert.match(listenFailure(withCode('EACCES'), config)?.message ?? '', /^no permission to listen on port 8008 .*\(--port; ports below 1024 need privileges\)$/);
    assert.equal(listenFailure(withCode('EADDRNOTAVAIL'), config)?.message, 'cannot listen on 127.0.0.1: not an address of this machine (--bind)');
    assert.equal(listenFailure(withCode('ENOTFOUND'), config)?.message, 'cannot listen on 127.0.0.1: no such host name (--bind)');
  });
  test('anything else is not a StartupError (it stays an unexpected error, with its stack in the log)', () => {
    assert.equal(listenFailure(new Error('boom'), config), undefined);
    assert.equal(listenFailure(withCode('ERR_SOMETHING'), config), undefined);
  });
});

describe('databaseFailure', () => {
  test('PostgreSQL out of reach, also as an AggregateError of several addresses; the password is never shown', () => {
    const refused = databaseFailure(withCode('ECONNREFUSED'), PG);
    assert.ok(refused instanceof StartupError);
    assert.equal(refused.message, 'cannot reach PostgreSQL at db.example:6543/hush: connection refused (--database)');
    const aggregate = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed');
    assert.equal(databaseFailure(aggregate, PG)?.message, refused.message);
    assert.equal(databaseFailure(withCode('ENOTFOUND'), 'postgres://h/db')?.message, 'cannot reach PostgreSQL at h:5432/db: host name not found (--database)');
  });
  test('PostgreSQL refusing (an SQLSTATE): its own words', () => {
    const r = databaseFailure(withCode('28P01', 'password authentication failed for user "hush"'), PG);
    assert.equal(r?.message, 'PostgreSQL at db.example:6543/hush refused: password authentication failed for user "hush" (--database)');
    assert.ok(!r.message.includes('s3cret'));
  });
  test('SQLite: busy (another hush), locked (another tool), not a database, cannot open, cannot create', () => {
    const busy = databaseFailure(new DatabaseBusy('another process is using the SQLite database x.sqlite'), 'x.sqlite');
    assert.equal(busy?.message, 'another process is using the SQLite database x.sqlite (--database)');
    assert.equal(databaseFailure(withCode('SQLITE_BUSY', 'database is locked'), 'x.sqlite')?.message, 'the SQLite database x.sqlite is locked by another process (database is locked) (--database)');
    assert.equal(databaseFailure(withCode('SQLITE_NOTADB'), 'x.sqlite')?.message, 'x.sqlite is not a SQLite database (--database)');
    assert.match(databaseFailure(withCode('SQLITE_IOERR_SHORT_READ', 'disk I/O error'), 'x.sqlite')?.message ?? '', /^cannot open the SQLite database x\.sqlite: disk I\/O error/);
    assert.match(databaseFailure(withCode('EACCES', "EACCES: permission denied, mkdir '/srv/x'"), '/srv/x/h.sqlite')?.message ?? '', /^cannot create the SQLite database \/srv\/x\/h\.sqlite: EACCES/);
  });
  test('errors of our own SQL (a bug, not the operator’s to fix) are not StartupErrors', () => {
    assert.equal(databaseFailure(withCode('SQLITE_ERROR', 'no such table: x'), 'x.sqlite'), undefined);
    assert.equal(databaseFailure(new Error('boom'), 'x.sqlite'), undefined);
    assert.equal(databaseFailure(withCode('ECONNREFUSED'), 'x.sqlite'), undefined);
  });
  test('a message is always one line', () => {
    assert.equal(databaseFailure(withCode('SQLITE_CANTOPEN', 'unable\n  to open'), 'x.sqlite')?.message, 'cannot open the SQLite database x.sqlite: unable to open (--database)');
  });
});

describe('databaseName', () => {
  test('a file path as it is; a PostgreSQL URL as host:port/db, without user or password', () => {
    assert.equal(databaseName('./data/hush.sqlite'), './data/hush.sqlite');
    assert.equal(databaseName(PG), 'db.example:6543/hush');
  });
});
