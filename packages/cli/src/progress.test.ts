// Unit tests of the import progress bar: its frames, and that it draws only on a terminal.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar, renderBar } from './progress.ts';

describe('progress bar', () => {
  test('renderBar fills in proportion, clamped', () => {
    assert.equal(renderBar('importing', 0, 5000, 10), 'importing [..........] 0/5000');
    assert.equal(renderBar('importing', 2500, 5000, 10), 'importing [#####.....] 2500/5000');
    assert.equal(renderBar('importing', 5000, 5000, 10), 'importing [##########] 5000/5000');
    assert.equal(renderBar('x', 7, 5, 4), 'x [####] 7/5');
    assert.equal(renderBar('x', 0, 0, 4), 'x [####] 0/0');
  });

  test('on a terminal it redraws in place and ends the line when done', () => {
    const written: string[] = [];
    const bar = progressBar('importing', { isTTY: true, write: (s: string) => written.push(s) });
    bar(0, 4);
    bar(4, 4);
    assert.deepEqual(written, [`\r${renderBar('importing', 0, 4)}`, `\r${renderBar('importing', 4, 4)}`, '\n']);
  });

  test('anywhere else it writes nothing', () => {
    const written: string[] = [];
    const bar = progressBar('importing', { isTTY: false, write: (s: string) => written.push(s) });
    bar(0, 4);
    bar(4, 4);
    assert.deepEqual(written, []);
  });
});
