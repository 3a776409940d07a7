// Unit tests of the session file: where it lives, its modes (0600 file, 0700 directory), replacing
// it, removing it, and a damaged file read as "not logged in".

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './output.ts';
import { configDir, readSession, removeSession, sessionPath, writeSession } from './session-store.ts';

const session = { homeserver: 'https://hs.example', userId: '@me:hs.example', deviceId: 'DEV', accessToken: 'secret' };

/** Runs `body` with HUSH_CONFIG_DIR set to `dir`, restoring the variable after. */
function inDir(dir: string, body: () => void): void {
  const before = process.env['HUSH_CONFIG_DIR'];
  process.env['HUSH_CONFIG_DIR'] = dir;
  try {
    body();
  } finally {
    if (before === undefined) delete process.env['HUSH_CONFIG_DIR'];
    else process.env['HUSH_CONFIG_DIR'] = before;
  }
}

describe('session store', () => {
  test('configDir: HUSH_CONFIG_DIR, else $XDG_CONFIG_HOME/hush, else ~/.config/hush', () => {
    assert.equal(configDir({ HUSH_CONFIG_DIR: '/c', XDG_CONFIG_HOME: '/x' }), '/c');
    assert.equal(configDir({ XDG_CONFIG_HOME: '/x' }), join('/x', 'hush'));
    assert.equal(configDir({ XDG_CONFIG_HOME: '' }), join(homedir(), '.config', 'hush'));
    assert.equal(configDir({}), join(homedir(), '.config', 'hush'));
  });

  test('write creates a 0700 directory and a 0600 file, read gives the session back, remove deletes it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hush-store-')), 'nested', 'hush');
    inDir(dir, () => {
      assert.equal(readSession(), undefined);
      writeSession(session);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(sessionPath()).mode & 0o777, 0o600);
      assert.deepEqual(readSession(), session);
      removeSession();
      assert.equal(existsSync(sessionPath()), false);
      removeSession();
    });
  });

  test('replacing a file that was readable by others leaves a 0600 file and no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-store-'));
    chmodSync(dir, 0o755);
    inDir(dir, () => {
      writeFileSync(sessionPath(), '{}', { mode: 0o644 });
      writeSession({ ...session, accessToken: 'new' });
      assert.equal(statSync(sessionPath()).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(readSession()?.accessToken, 'new');
      assert.deepEqual(readdirSync(dir), ['session.json']);
    });
  });

  test('a damaged or incomplete file is "not logged in" (exit 3), naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hush-store-'));
    inDir(dir, () => {
      for (const text of ['{"homeserver":', 'null', '{"homeserver": "https://hs.example", "userId": "@me:hs.example"}']) {
        writeFileSync(sessionPath(), text);
        assert.throws(readSession, (e) => e instanceof CliError && e.code === EXIT.AUTH && e.message.includes(sessionPath()), text);
      }
    });
  });
});
