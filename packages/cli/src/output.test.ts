// Unit tests of how failures become exit codes and messages, and of the "cannot reach" wording.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BadResponseError, ImportError, InviteBlockedError, MatrixError, NetworkError, TimeoutError } from '@hush/client';
import { CliError, describeFailure, EXIT, failureJson, reachMessage, usage } from './output.ts';

/** A NetworkError as the library throws it: fetch's TypeError with the socket error as its cause. */
function unreachable(code: string | undefined, base = 'https://hs.example'): NetworkError {
  const socket = Object.assign(new Error(`connect ${code ?? 'EWHATEVER'} 127.0.0.1:443`), code ? { code } : {});
  const fetchError = new TypeError('fetch failed', { cause: socket });
  return new NetworkError(`cannot reach ${base}: ${socket.message}`, `${base}/_matrix/client/v3/account/whoami`, fetchError);
}

describe('failureJson (--json)', () => {
  test('one JSON object with the message, the exit code and, from the homeserver, the errcode', () => {
    assert.deepEqual(JSON.parse(failureJson(new MatrixError(403, 'M_INVITE_BLOCKED', 'no'))), { error: 'M_INVITE_BLOCKED: no', exit_code: 1, errcode: 'M_INVITE_BLOCKED' });
    assert.deepEqual(JSON.parse(failureJson(usage('not a user ID: "x"'))), { error: 'not a user ID: "x"', exit_code: EXIT.USAGE });
    assert.equal(JSON.parse(failureJson(unreachable('ECONNREFUSED'))).exit_code, EXIT.NETWORK);
  });
});

describe('describeFailure', () => {
  test('each kind of failure has its exit code', () => {
    assert.deepEqual(describeFailure(usage('bad')), { code: EXIT.USAGE, message: 'bad' });
    assert.deepEqual(describeFailure(new CliError('wrong', EXIT.LOGIN)), { code: 5, message: 'wrong' });
    assert.deepEqual(describeFailure(new MatrixError(403, 'M_FORBIDDEN', 'You are not invited')), { code: 1, message: 'M_FORBIDDEN: You are not invited' });
    assert.equal(describeFailure(new InviteBlockedError(403, 'M_INVITE_BLOCKED', 'Invites are blocked')).code, 1);
    assert.equal(describeFailure(unreachable('ECONNREFUSED')).code, 4);
    assert.deepEqual(describeFailure(new Error('boom')), { code: 1, message: 'boom' });
    assert.deepEqual(describeFailure('odd'), { code: 1, message: 'odd' });
  });

  test('a refused or missing token is exit 3, naming the errcode', () => {
    for (const errcode of ['M_UNKNOWN_TOKEN', 'M_MISSING_TOKEN']) {
      const f = describeFailure(new MatrixError(401, errcode, 'Unrecognised access token'));
      assert.equal(f.code, EXIT.AUTH);
      assert.match(f.message, new RegExp(`\\(${errcode}: Unrecognised access token\\): log in again with hush login$`));
    }
  });
});

describe('reachMessage', () => {
  test('says why in words, naming the homeserver URL', () => {
    assert.equal(reachMessage(unreachable('ECONNREFUSED')), 'cannot reach https://hs.example: connection refused');
    assert.equal(reachMessage(unreachable('ENOTFOUND', 'https://hs.example/prefix')), 'cannot reach https://hs.example/prefix: host name not found');
    assert.equal(reachMessage(unreachable('CERT_HAS_EXPIRED')), 'cannot reach https://hs.example: its TLS certificate has expired');
  });

  test('keeps the library\'s message when the cause is not a known socket error', () => {
    assert.equal(reachMessage(unreachable(undefined)), 'cannot reach https://hs.example: connect EWHATEVER 127.0.0.1:443');
    const notJson = new NetworkError('https://hs.example answered 404 with something that is not JSON (is it a Matrix homeserver?)', 'https://hs.example/_matrix/client/v3/sync');
    assert.equal(reachMessage(notJson), notJson.message);
  });
});

describe('answers that are not Matrix, and no answer at all', () => {
  const url = 'http://hs.example/_matrix/client/v3/login';
  test('a success without the required fields, or a non-JSON page, is exit 6 and says nothing from it was used', () => {
    const foo = new BadResponseError('http://hs.example did not answer like a Matrix homeserver (login: user_id is missing)', url, 200, 'user_id is missing');
    assert.deepEqual(describeFailure(foo), { code: EXIT.NOT_MATRIX, message: 'http://hs.example did not answer like a Matrix homeserver (login: user_id is missing): nothing from it was used' });
    const html = new BadResponseError('http://hs.example answered 404 Not Found with a text/html body that is not JSON (is it a Matrix homeserver?)', url, 404, 'not JSON');
    assert.equal(describeFailure(html).code, 6);
  });
  test('a 502/503/504 page from a proxy is "cannot reach" (exit 4); a timeout is exit 4 naming the limit', () => {
    const gw = new BadResponseError('http://hs.example answered 502 Bad Gateway with a text/html body that is not JSON', url, 502, 'not JSON');
    assert.deepEqual(describeFailure(gw), { code: EXIT.NETWORK, message: 'cannot reach http://hs.example: it answered 502 Bad Gateway without a Matrix body (a proxy whose homeserver is down?)' });
    assert.deepEqual(describeFailure(new TimeoutError('cannot reach http://hs.example: no answer within 30 s', url, 30_000)), { code: 4, message: 'cannot reach http://hs.example: no answer within 30 s' });
  });
  test('a CLI error that stands for a refusal carries its errcode in --json', () => {
    assert.deepEqual(JSON.parse(failureJson(new CliError('wrong user name or password', EXIT.LOGIN, 'M_FORBIDDEN'))), { error: 'wrong user name or password', exit_code: 5, errcode: 'M_FORBIDDEN' });
  });
});

describe('an import that stopped', () => {
  test('names the step, keeps the exit code and errcode of why, and says what state the account is in', () => {
    const notFound = new MatrixError(404, 'M_NOT_FOUND', 'Room not found');
    assert.deepEqual(describeFailure(new ImportError('policy_rooms: !x:hs', notFound, [], false)), { code: 1, message: 'policy_rooms: !x:hs: M_NOT_FOUND: Room not found; nothing was changed' });
    assert.equal(JSON.parse(failureJson(new ImportError('policy_rooms: !x:hs', notFound, [], false))).errcode, 'M_NOT_FOUND');
    const big = new MatrixError(413, 'M_TOO_LARGE', 'too big');
    assert.equal(describeFailure(new ImportError('msc4155', big, [], true)).message, 'msc4155: M_TOO_LARGE: too big; what the import had changed was put back');
    const down = unreachable('ECONNREFUSED');
    assert.deepEqual(describeFailure(new ImportError('msc4155', down, ['m.ignored_user_list (cannot reach)'], true)), {
      code: EXIT.NETWORK,
      message: 'msc4155: cannot reach https://hs.example: connection refused; could NOT put back: m.ignored_user_list (cannot reach)',
    });
  });
});

