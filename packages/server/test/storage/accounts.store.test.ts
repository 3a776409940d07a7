// accountsStore and serverKeysStore on every backend: SQLite in memory, SQLite in a file, and
// PostgreSQL (a fresh database in the test runner's cluster). The same bodies run on each.

import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/storage/db.ts';
import { migrate, migrations } from '../../src/storage/migrations.ts';
import { accountsStore } from '../../src/storage/accounts.store.ts';
import { serverKeysStore } from '../../src/storage/server-keys.store.ts';
import type { DevicesTable, UsersTable } from '../../src/storage/schema.ts';
import { freshPgDatabase } from '../../../../tests/support/postgres.ts';

interface Location {
  url: string;
  drop(): Promise<void>;
}

interface DialectCase {
  name: string;
  dialect: 'sqlite' | 'postgres';
  /** A fresh, empty database location. */
  fresh(): Promise<Location>;
  /** Whether two openDatabase calls on one location see the same data. */
  shared: boolean;
}

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

const DIALECTS: DialectCase[] = [
  {
    name: 'SQLite :memory:',
    dialect: 'sqlite',
    shared: false,
    fresh: async () => ({ url: ':memory:', drop: async () => undefined }),
  },
  {
    name: 'SQLite file',
    dialect: 'sqlite',
    shared: true,
    fresh: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hush-store-'));
      tempDirs.push(dir);
      return { url: join(dir, 'nested', 'hush.sqlite'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    dialect: 'postgres',
    shared: true,
    fresh: async () => {
      assert.ok(process.env['HUSH_TEST_PG_URL'], 'HUSH_TEST_PG_URL must be set: run the tests with `npm test` (scripts/test.mjs)');
      return freshPgDatabase();
    },
  },
];

it('HUSH_TEST_PG_URL is set, so the PostgreSQL cases run', () => {
  assert.ok(process.env['HUSH_TEST_PG_URL'], 'HUSH_TEST_PG_URL is unset: the PostgreSQL store tests cannot run');
});

const ALICE = '@alice:localhost';
const BOB = '@bob:localhost';
/** Larger than 2^32, so a 32-bit column or a string-typed int8 would show. */
const BIG_TS = 2 ** 53 - 1;

function user(userId: string, over: Partial<UsersTable> = {}): UsersTable {
  return {
    user_id: userId,
    password_hash: 'scrypt$32768$8$1$c2FsdA==$aGFzaA==',
    displayname: userId.slice(1, userId.indexOf(':')),
    avatar_url: null,
    created_ts: 1_700_000_000_000,
    deactivated: 0,
    ...over,
  };
}

function device(userId: string, deviceId: string, over: Partial<DevicesTable> = {}): DevicesTable {
  return {
    user_id: userId,
    device_id: deviceId,
    display_name: null,
    created_ts: 1_700_000_000_000,
    last_seen_ts: 1_700_000_000_000,
    last_seen_ip: null,
    ...over,
  };
}

for (const d of DIALECTS) {
  describe(`accounts storage on ${d.name}`, () => {
    let loc: Location;
    let h: DatabaseHandle;

    beforeEach(async () => {
      loc = await d.fresh();
      h = await openDatabase(loc.url);
    });
    afterEach(async () => {
      await h?.close();
      await loc?.drop();
    });

    it('opens with the expected dialect and records every migration once', async () => {
      assert.equal(h.dialect, d.dialect);
      const rows = await h.db.selectFrom('schema_migrations').select('version').orderBy('version').execute();
      assert.deepEqual(
        rows.map((r) => r.version),
        migrations.map((m) => m.version),
      );
    });

    it('migrations are idempotent: migrate again, and open the same database twice', async () => {
      await migrate(h.db, h.dialect);
      assert.ok(await accountsStore.insertUser(h.db, user(ALICE)));
      const again = await openDatabase(loc.url);
      try {
        const versions = await again.db.selectFrom('schema_migrations').select('version').execute();
        assert.equal(versions.length, migrations.length);
        // A reopened file or PostgreSQL database keeps its rows; migrations did not recreate tables.
        assert.equal(await accountsStore.userExists(again.db, ALICE), d.shared);
      } finally {
        await again.close();
      }
      assert.ok(await accountsStore.userExists(h.db, ALICE));
    });

    // PostgreSQL: several workers may start together; the advisory lock serialises their
    // migrations. SQLite is single-process (its deferred migration transaction reports
    // SQLITE_BUSY to a second process racing on a brand-new file), so there they open in turn.
    it('several processes opening one fresh database all succeed (advisory lock on PostgreSQL)', async () => {
      const target = await d.fresh();
      try {
        const open = () => openDatabase(target.url, { poolSize: 2 });
        const handles: DatabaseHandle[] = [];
        if (d.dialect === 'postgres') handles.push(...(await Promise.all([open(), open(), open(), open()])));
        else for (let i = 0; i < 4; i++) handles.push(await open());
        try {
          for (const x of handles) {
            const versions = await x.db.selectFrom('schema_migrations').select('version').orderBy('version').execute();
            assert.deepEqual(
              versions.map((v) => v.version),
              migrations.map((m) => m.version),
            );
            assert.equal(await accountsStore.userExists(x.db, ALICE), false);
          }
          if (d.shared) {
            assert.ok(await accountsStore.insertUser(handles[0]!.db, user(ALICE)));
            assert.ok(await accountsStore.userExists(handles[3]!.db, ALICE));
          }
        } finally {
          await Promise.all(handles.map((x) => x.close()));
        }
      } finally {
        await target.drop();
      }
    });

    it('insertUser inserts once; a second insert of the same id returns false and changes nothing', async () => {
      assert.equal(await accountsStore.insertUser(h.db, user(ALICE)), true);
      assert.equal(await accountsStore.insertUser(h.db, user(ALICE, { displayname: 'Impostor', password_hash: 'x' })), false);
      const row = await accountsStore.getUser(h.db, ALICE);
      assert.equal(row?.displayname, 'alice');
      assert.equal(row?.password_hash, user(ALICE).password_hash);
    });

    it('getUser returns the row with numbers as numbers; undefined for an unknown user', async () => {
      await accountsStore.insertUser(h.db, user(ALICE, { created_ts: BIG_TS, avatar_url: 'mxc://localhost/a' }));
      const row = await accountsStore.getUser(h.db, ALICE);
      assert.deepEqual(row, user(ALICE, { created_ts: BIG_TS, avatar_url: 'mxc://localhost/a' }));
      assert.equal(typeof row?.created_ts, 'number');
      assert.equal(typeof row?.deactivated, 'number');
      assert.equal(await accountsStore.getUser(h.db, BOB), undefined);
    });

    it('userExists', async () => {
      assert.equal(await accountsStore.userExists(h.db, ALICE), false);
      await accountsStore.insertUser(h.db, user(ALICE));
      assert.equal(await accountsStore.userExists(h.db, ALICE), true);
      assert.equal(await accountsStore.userExists(h.db, '@ALICE:localhost'), false, 'user ids compare exactly');
    });

    it('int8 columns and count(*) come back as numbers', async () => {
      await accountsStore.insertUser(h.db, user(ALICE, { created_ts: BIG_TS }));
      await accountsStore.insertUser(h.db, user(BOB));
      const c = await h.db
        .selectFrom('users')
        .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('created_ts').as('latest')])
        .executeTakeFirstOrThrow();
      assert.equal(c.n, 2);
      assert.equal(typeof c.n, 'number');
      assert.equal(c.latest, BIG_TS);
      assert.equal(typeof c.latest, 'number');
      await accountsStore.insertToken(h.db, { userId: ALICE, deviceId: 'D', tokenHash: 'h1' });
      const t = await h.db.selectFrom('access_tokens').select('created_ts').executeTakeFirstOrThrow();
      assert.equal(typeof t.created_ts, 'number');
      assert.ok(Math.abs(t.created_ts - Date.now()) < 60_000);
    });

    it('updateProfile changes only the given fields', async () => {
      await accountsStore.insertUser(h.db, user(ALICE));
      await accountsStore.updateProfile(h.db, ALICE, { displayname: 'Alice 🐇' });
      let row = await accountsStore.getUser(h.db, ALICE);
      assert.equal(row?.displayname, 'Alice 🐇');
      assert.equal(row?.avatar_url, null);
      await accountsStore.updateProfile(h.db, ALICE, { avatar_url: 'mxc://localhost/x' });
      row = await accountsStore.getUser(h.db, ALICE);
      assert.equal(row?.displayname, 'Alice 🐇');
      assert.equal(row?.avatar_url, 'mxc://localhost/x');
      await accountsStore.updateProfile(h.db, ALICE, { displayname: null });
      row = await accountsStore.getUser(h.db, ALICE);
      assert.equal(row?.displayname, null);
      assert.equal(row?.avatar_url, 'mxc://localhost/x');
      // Updating an unknown user is a no-op, not an error.
      await accountsStore.updateProfile(h.db, BOB, { displayname: 'ghost' });
      assert.equal(await accountsStore.userExists(h.db, BOB), false);
    });

    it('upsertDevice inserts, then updates last-seen and keeps the name when none is given', async () => {
      await accountsStore.upsertDevice(h.db, device(ALICE, 'PHONE', { display_name: 'Phone', last_seen_ip: '10.0.0.1' }));
      assert.deepEqual(await accountsStore.getDevice(h.db, ALICE, 'PHONE'), device(ALICE, 'PHONE', { display_name: 'Phone', last_seen_ip: '10.0.0.1' }));
      await accountsStore.upsertDevice(
        h.db,
        device(ALICE, 'PHONE', { display_name: null, created_ts: 5, last_seen_ts: BIG_TS, last_seen_ip: '10.0.0.2' }),
      );
      const row = await accountsStore.getDevice(h.db, ALICE, 'PHONE');
      assert.equal(row?.display_name, 'Phone');
      assert.equal(row?.last_seen_ts, BIG_TS);
      assert.equal(typeof row?.last_seen_ts, 'number');
      assert.equal(row?.last_seen_ip, '10.0.0.2');
      assert.equal(row?.created_ts, 1_700_000_000_000, 'created_ts is kept on update');
      await accountsStore.upsertDevice(h.db, device(ALICE, 'PHONE', { display_name: 'New phone' }));
      assert.equal((await accountsStore.getDevice(h.db, ALICE, 'PHONE'))?.display_name, 'New phone');
      assert.equal((await accountsStore.listDevices(h.db, ALICE)).length, 1);
    });

    it("listDevices returns one user's devices ordered by id; getDevice is per user", async () => {
      for (const id of ['ZED', 'ALPHA', 'MIKE']) await accountsStore.upsertDevice(h.db, device(ALICE, id));
      await accountsStore.upsertDevice(h.db, device(BOB, 'BRAVO'));
      assert.deepEqual(
        (await accountsStore.listDevices(h.db, ALICE)).map((r) => r.device_id),
        ['ALPHA', 'MIKE', 'ZED'],
      );
      assert.deepEqual(await accountsStore.listDevices(h.db, '@nobody:localhost'), []);
      assert.equal(await accountsStore.getDevice(h.db, ALICE, 'BRAVO'), undefined);
      assert.equal((await accountsStore.getDevice(h.db, BOB, 'BRAVO'))?.user_id, BOB);
    });

    it('setDeviceName reports whether the device exists', async () => {
      await accountsStore.upsertDevice(h.db, device(ALICE, 'PHONE'));
      assert.equal(await accountsStore.setDeviceName(h.db, ALICE, 'PHONE', 'My phone'), true);
      assert.equal((await accountsStore.getDevice(h.db, ALICE, 'PHONE'))?.display_name, 'My phone');
      assert.equal(await accountsStore.setDeviceName(h.db, ALICE, 'PHONE', null), true);
      assert.equal((await accountsStore.getDevice(h.db, ALICE, 'PHONE'))?.display_name, null);
      assert.equal(await accountsStore.setDeviceName(h.db, ALICE, 'NOPE', 'x'), false);
      assert.equal(await accountsStore.setDeviceName(h.db, BOB, 'PHONE', 'x'), false);
    });

    it('insertToken / findToken; unknown hashes find nothing; a hash is unique', async () => {
      await accountsStore.insertToken(h.db, { userId: ALICE, deviceId: 'PHONE', tokenHash: 'hash-1' });
      assert.deepEqual(await accountsStore.findToken(h.db, 'hash-1'), { userId: ALICE, deviceId: 'PHONE', tokenHash: 'hash-1' });
      assert.equal(await accountsStore.findToken(h.db, 'hash-2'), undefined);
      assert.equal(await accountsStore.findToken(h.db, 'HASH-1'), undefined, 'token hashes compare exactly');
      await assert.rejects(accountsStore.insertToken(h.db, { userId: BOB, deviceId: 'X', tokenHash: 'hash-1' }));
      assert.equal((await accountsStore.findToken(h.db, 'hash-1'))?.userId, ALICE);
    });

    it("deleteTokens removes one device's tokens and keeps the device", async () => {
      await accountsStore.upsertDevice(h.db, device(ALICE, 'PHONE'));
      await accountsStore.upsertDevice(h.db, device(ALICE, 'LAPTOP'));
      await accountsStore.insertToken(h.db, { userId: ALICE, deviceId: 'PHONE', tokenHash: 'p1' });
      await accountsStore.insertToken(h.db, { userId: ALICE, deviceId: 'PHONE', tokenHash: 'p2' });
      await accountsStore.insertToken(h.db, { userId: ALICE, deviceId: 'LAPTOP', tokenHash: 'l1' });
      await accountsStore.insertToken(h.db, { userId: BOB, deviceId: 'PHONE', tokenHash: 'b1' });
      await accountsStore.deleteTokens(h.db, ALICE, 'PHONE');
      assert.equal(await accountsStore.findToken(h.db, 'p1'), undefined);
      assert.equal(await accountsStore.findToken(h.db, 'p2'), undefined);
      assert.ok(await accountsStore.findToken(h.db, 'l1'));
      assert.ok(await accountsStore.findToken(h.db, 'b1'), "another user's device of the same id is untouched");
      assert.ok(await accountsStore.getDevice(h.db, ALICE, 'PHONE'));
    });

    it('deleteDevices removes one device (with its tokens) or all of a user’s', async () => {
      for (const [u, dev, tok] of [
        [ALICE, 'PHONE', 'p1'],
        [ALICE, 'LAPTOP', 'l1'],
        [ALICE, 'TABLET', 't1'],
        [BOB, 'PHONE', 'b1'],
      ] as const) {
        await accountsStore.upsertDevice(h.db, device(u, dev));
        await accountsStore.insertToken(h.db, { userId: u, deviceId: dev, tokenHash: tok });
      }
      await accountsStore.deleteDevices(h.db, ALICE, 'PHONE');
      assert.equal(await accountsStore.getDevice(h.db, ALICE, 'PHONE'), undefined);
      assert.equal(await accountsStore.findToken(h.db, 'p1'), undefined);
      assert.deepEqual(
        (await accountsStore.listDevices(h.db, ALICE)).map((r) => r.device_id),
        ['LAPTOP', 'TABLET'],
      );
      await accountsStore.deleteDevices(h.db, ALICE);
      assert.deepEqual(await accountsStore.listDevices(h.db, ALICE), []);
      assert.equal(await accountsStore.findToken(h.db, 'l1'), undefined);
      assert.equal(await accountsStore.findToken(h.db, 't1'), undefined);
      assert.ok(await accountsStore.getDevice(h.db, BOB, 'PHONE'));
      assert.ok(await accountsStore.findToken(h.db, 'b1'));
    });

    it('store functions run inside a transaction, and a rollback undoes them', async () => {
      await h.db.transaction().execute(async (tx) => {
        await accountsStore.insertUser(tx, user(ALICE));
        await accountsStore.upsertDevice(tx, device(ALICE, 'PHONE'));
        await accountsStore.insertToken(tx, { userId: ALICE, deviceId: 'PHONE', tokenHash: 'p1' });
        assert.ok(await accountsStore.findToken(tx, 'p1'));
      });
      assert.ok(await accountsStore.findToken(h.db, 'p1'));
      const boom = new Error('roll back');
      await assert.rejects(
        h.db.transaction().execute(async (tx) => {
          await accountsStore.insertUser(tx, user(BOB));
          await accountsStore.deleteDevices(tx, ALICE);
          assert.equal(await accountsStore.findToken(tx, 'p1'), undefined);
          throw boom;
        }),
        (e) => e === boom,
      );
      assert.equal(await accountsStore.userExists(h.db, BOB), false);
      assert.ok(await accountsStore.findToken(h.db, 'p1'));
      assert.ok(await accountsStore.getDevice(h.db, ALICE, 'PHONE'));
    });

    it('text round-trips exactly: non-ASCII, quotes, SQL metacharacters', async () => {
      const tricky = `Ålice "'; drop table users; --\\ 🐇 \u200b`;
      await accountsStore.insertUser(h.db, user(ALICE, { displayname: tricky }));
      assert.equal((await accountsStore.getUser(h.db, ALICE))?.displayname, tricky);
      assert.ok(await accountsStore.userExists(h.db, ALICE));
      const n = await sql<{ n: number }>`select count(*) as n from users`.execute(h.db);
      assert.equal(Number(n.rows[0]?.n), 1);
    });

    it('serverKeysStore: empty at first; insertIfAbsent never overwrites; first() is the oldest key', async () => {
      assert.equal(await serverKeysStore.first(h.db), undefined);
      await serverKeysStore.insertIfAbsent(h.db, 'ed25519:b', 'seed-b');
      assert.deepEqual(await serverKeysStore.first(h.db), { keyId: 'ed25519:b', seed: 'seed-b' });
      await serverKeysStore.insertIfAbsent(h.db, 'ed25519:b', 'other-seed');
      assert.deepEqual(await serverKeysStore.first(h.db), { keyId: 'ed25519:b', seed: 'seed-b' });
      // Inserted later, so not first even though its id sorts earlier.
      await new Promise((r) => setTimeout(r, 5));
      await serverKeysStore.insertIfAbsent(h.db, 'ed25519:a', 'seed-a');
      assert.deepEqual(await serverKeysStore.first(h.db), { keyId: 'ed25519:b', seed: 'seed-b' });
      const rows = await h.db.selectFrom('server_keys').select(['key_id', 'created_ts']).orderBy('key_id').execute();
      assert.equal(rows.length, 2);
      for (const r of rows) assert.equal(typeof r.created_ts, 'number');
    });

    it('serverKeysStore: concurrent insertIfAbsent of one key id leaves one row', async () => {
      await Promise.all([1, 2, 3, 4, 5].map((i) => serverKeysStore.insertIfAbsent(h.db, 'ed25519:same', `seed-${i}`)));
      const rows = await h.db.selectFrom('server_keys').selectAll().execute();
      assert.equal(rows.length, 1);
      assert.equal((await serverKeysStore.first(h.db))?.keyId, 'ed25519:same');
    });
  });
}
