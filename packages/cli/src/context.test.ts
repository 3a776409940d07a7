// Unit tests of how a command picks its homeserver and token: flags, then HUSH_* variables, then
// the stored session — whose token only ever goes to its own homeserver.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from '@hush/client';
import { pickConnection } from './context.ts';
import { CliError, EXIT } from './output.ts';

const stored: Session = { homeserver: 'https://home.example', userId: '@me:home.example', deviceId: 'DEV', accessToken: 'stored-token' };
const fromStore = () => stored;
const nothingStored = () => undefined;
const code = (c: number) => (err: unknown) => err instanceof CliError && err.code === c;

describe('pickConnection', () => {
  test('the stored session alone', () => {
    assert.deepEqual(pickConnection({}, {}, fromStore), { homeserver: stored.homeserver, token: 'stored-token', stored });
  });

  test('flags win over the environment, which wins over the stored session', () => {
    const env = { HUSH_HOMESERVER: 'https://env.example', HUSH_TOKEN: 'env-token' };
    assert.deepEqual(pickConnection({ homeserver: 'https://flag.example/', token: 'flag-token' }, env, fromStore), { homeserver: 'https://flag.example', token: 'flag-token', stored: undefined });
    assert.deepEqual(pickConnection({}, env, fromStore), { homeserver: 'https://env.example', token: 'env-token', stored: undefined });
    assert.deepEqual(pickConnection({ token: 'flag-token' }, env, fromStore), { homeserver: 'https://env.example', token: 'flag-token', stored: undefined });
  });

  test('both given: the session file is not even read', () => {
    const unreadable = () => {
      throw new Error('read');
    };
    assert.equal(pickConnection({ homeserver: 'https://a.example', token: 't' }, {}, unreadable).token, 't');
  });

  test('a token alone goes to the stored homeserver; the stored token to no other homeserver', () => {
    assert.deepEqual(pickConnection({ token: 'other' }, {}, fromStore), { homeserver: stored.homeserver, token: 'other', stored: undefined });
    assert.deepEqual(pickConnection({ homeserver: 'https://home.example/' }, {}, fromStore), { homeserver: stored.homeserver, token: 'stored-token', stored });
    assert.throws(() => pickConnection({ homeserver: 'https://elsewhere.example' }, {}, fromStore), (e) => code(EXIT.AUTH)(e) && /not logged in to https:\/\/elsewhere\.example/.test((e as Error).message));
  });

  test('nothing to go on is exit 3; a bad URL is exit 2', () => {
    assert.throws(() => pickConnection({}, {}, nothingStored), code(EXIT.AUTH));
    assert.throws(() => pickConnection({ token: 't' }, {}, nothingStored), code(EXIT.AUTH));
    assert.throws(() => pickConnection({ homeserver: 'hs.example', token: 't' }, {}, nothingStored), code(EXIT.USAGE));
    assert.throws(() => pickConnection({ homeserver: 'https://hs.example', token: '' }, {}, nothingStored), code(EXIT.AUTH));
  });
});
