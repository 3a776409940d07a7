// In-process tests of GET /.well-known/matrix/support: the operator's `support` key, checked when
// the configuration is read; 404 M_NOT_FOUND when none is set.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../helpers.ts';
import { resolveConfig } from '../../src/config/config.ts';

const PATH = '/.well-known/matrix/support';
const base = { 'server-name': 'localhost', database: ':memory:' };

describe('getWellknownSupport', () => {
  test('without a support key: 404 M_NOT_FOUND, no token needed', async () => {
    const t = await createTestApp();
    try {
      const res = await t.req('GET', PATH);
      assert.equal(res.status, 404);
      assert.equal(res.json.errcode, 'M_NOT_FOUND');
    } finally {
      await t.close();
    }
  });

  test('the configured contacts and page are served as given', async () => {
    const support = {
      contacts: [
        { role: 'm.role.admin', matrix_id: '@admin:localhost' },
        { role: 'm.role.security', email_address: 'security@example.org' },
      ],
      support_page: 'https://example.org/help',
    };
    const t = await createTestApp({ config: { support } });
    try {
      const res = await t.req('GET', PATH);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, support);
    } finally {
      await t.close();
    }
  });

  test('a malformed support key is refused when the configuration is read', () => {
    const bad: unknown[] = [
      'help',
      {},
      { contacts: [] },
      { contacts: 'x' },
      { contacts: [{ role: 'm.role.admin' }] },
      { contacts: [{ role: 'admin', matrix_id: '@a:localhost' }] },
      { contacts: [{ role: 'm.role.admin', matrix_id: 'not-a-user' }] },
      { contacts: [{ role: 'm.role.admin', email_address: 'nobody' }] },
      { support_page: 'ftp://example.org' },
    ];
    for (const support of bad) {
      assert.throws(() => resolveConfig({ ...base, support }), /support/, JSON.stringify(support));
    }
    assert.deepEqual(resolveConfig({ ...base, support: { contacts: [{ role: 'org.example.moderator', matrix_id: '@m:localhost' }] } }).support, {
      contacts: [{ role: 'org.example.moderator', matrix_id: '@m:localhost' }],
    });
  });
});
