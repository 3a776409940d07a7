// `hush --help` and every client command's help, as the real binary prints them: descriptions,
// options, examples, and the exit codes in the top-level epilogue.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hushCli } from '../../packages/cli/test/harness.ts';

const LEAVES = [
  ['login'],
  ['logout'],
  ['whoami'],
  ['ignore', 'add'],
  ['ignore', 'remove'],
  ['ignore', 'list'],
  ['invites', 'ignore'],
  ['invites', 'unignore'],
  ['invites', 'block'],
  ['invites', 'pending'],
  ['invites', 'hidden'],
  ['lists', 'export'],
  ['lists', 'import'],
];

describe('hush help', () => {
  test('hush --help lists the client commands and documents every exit code', async () => {
    const r = await hushCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['login', 'logout', 'whoami', 'ignore', 'invites', 'lists']) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'));
    assert.match(r.stdout, /Exit codes:/);
    for (const code of [0, 1, 2, 3, 4, 5]) assert.match(r.stdout, new RegExp(`^  ${code}  \\S`, 'm'), `exit code ${code}`);
  });

  test('each client command has a description, its options and examples', async () => {
    for (const path of LEAVES) {
      const r = await hushCli([...path, '--help']);
      assert.equal(r.code, 0, path.join(' '));
      const [usageLine, , description] = r.stdout.split('\n');
      assert.match(usageLine ?? '', new RegExp(`^Usage: hush ${path.join(' ')} `));
      assert.ok((description ?? '').length > 20, `${path.join(' ')} has a description`);
      assert.match(r.stdout, /--homeserver <url>/, path.join(' '));
      assert.match(r.stdout, /--json/, path.join(' '));
      assert.match(r.stdout, new RegExp(`Examples:\\n  hush ${path.join(' ')}`), path.join(' '));
    }
    for (const group of ['ignore', 'invites', 'lists']) assert.match((await hushCli([group, '--help'])).stdout, /Examples:/, group);
  });
});
