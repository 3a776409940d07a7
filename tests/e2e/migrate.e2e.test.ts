// `hush migrate`: a homeserver on SQLite with users, rooms, messages and an ignore list is stopped,
// copied into an empty PostgreSQL database and started there: the same password logs in, /sync shows
// the same rooms and messages, the ignore list still applies, and sends continue the same stream.
// A SQLite file still in use, and a target that already holds a homeserver, are refused (exit 2).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { client, HUSH_BIN, startHush, type HushProcess } from '../support/server.ts';
import { freshPgDatabase } from '../support/postgres.ts';
import { bodies, enc, steps, timelineOf, V3 } from './support/steps.ts';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

test('a SQLite homeserver moves to PostgreSQL with hush migrate, verified, and keeps working there', async () => {
  const first: HushProcess = await startHush();
  const sqliteFile = join(first.dir, 'hush.sqlite');
  let w = steps(client(first.baseUrl));
  const [alice, bob, carol] = [await w.user('mig_alice'), await w.user('mig_bob'), await w.user('mig_carol')];
  const room = await w.createRoom(alice, { preset: 'public_chat', name: 'Moving house' });
  await w.join(bob, room);
  await w.join(carol, room);
  for (let i = 0; i < 30; i++) await w.send(i % 2 ? bob : carol, room, `mig ${i}`);
  await w.ignore(alice, [bob.userId]);
  await w.typing(carol, room, true); // the typing counter is copied too
  const before = bodies(timelineOf(await w.sync(alice, { filter: { room: { timeline: { limit: 50 } } } }), room));

  const pg = await freshPgDatabase();
  cleanup.push(pg.drop);
  const busy = spawnSync(process.execPath, [HUSH_BIN, 'migrate', '--from', `sqlite:${sqliteFile}`, '--to', pg.url], { encoding: 'utf8' });
  assert.equal(busy.status, 2, 'a SQLite file its server still has open is refused');
  assert.match(busy.stderr, /another process is using the SQLite database/);
  const second = await startHush({ database: sqliteFile }).then(
    (p) => p,
    (err: Error) => err,
  );
  assert.ok(second instanceof Error, 'a second hush serve on the same SQLite file does not start');
  assert.match(second.message, /another process is using the SQLite database/);

  // Keep the SQLite file: stop the process without removing its directory.
  const dir = first.dir;
  await new Promise<void>((resolve) => {
    process.kill(first.pid, 'SIGTERM');
    const t = setInterval(() => {
      try {
        process.kill(first.pid, 0);
      } catch {
        clearInterval(t);
        resolve();
      }
    }, 50);
  });

  const run = spawnSync(process.execPath, [HUSH_BIN, 'migrate', '--from', `sqlite:${sqliteFile}`, '--to', pg.url, '--json'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { tables: { table: string; source: number; target: number }[]; mismatches: string[]; sampled: number };
  assert.deepEqual(report.mismatches, []);
  assert.ok(report.sampled > 0);
  const users = report.tables.find((t) => t.table === 'users');
  assert.deepEqual([users?.source, users?.target], [3, 3]);
  assert.ok((report.tables.find((t) => t.table === 'events')?.target ?? 0) > 30);
  const counters = report.tables.find((t) => t.table === 'stream_counter');
  assert.deepEqual([counters?.source, counters?.target], [2, 2], 'the stream and typing counters');

  const missing = spawnSync(process.execPath, [HUSH_BIN, 'migrate', '--from', `sqlite:${sqliteFile}.nope`, '--to', pg.url], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file/);

  const again = spawnSync(process.execPath, [HUSH_BIN, 'migrate', '--from', `sqlite:${sqliteFile}`, '--to', pg.url], { encoding: 'utf8' });
  assert.equal(again.status, 2, 'a target that already holds a homeserver is refused');
  assert.match(again.stderr, /not empty/);

  const onPg = await startHush({ database: pg.url });
  cleanup.push(() => onPg.stop());
  cleanup.push(async () => (await import('node:fs')).rmSync(dir, { recursive: true, force: true }));
  w = steps(client(onPg.baseUrl));
  const alice2 = await w.http.login('mig_alice');
  const after = bodies(timelineOf(await w.sync(alice2, { filter: { room: { timeline: { limit: 50 } } } }), room));
  assert.deepEqual(after, before, 'the same messages, and bob still hidden');
  assert.ok(!after.some((b) => ['mig 1', 'mig 3'].includes(b)));
  const [bob2, carol2] = [await w.http.login('mig_bob'), await w.http.login('mig_carol')];
  const s0 = await w.sync(alice2);
  await w.send(bob2, room, 'mig bob after the move');
  await w.send(carol2, room, 'mig after the move');
  const s = await w.sync(alice2, { since: s0.next_batch });
  assert.deepEqual(bodies(timelineOf(s, room)), ['mig after the move'], 'new events continue the copied stream; bob is still ignored');
  const list = await w.get(alice2, `${V3}/user/${enc(alice2.userId)}/account_data/m.ignored_user_list`);
  assert.deepEqual(Object.keys(list.json.ignored_users), [bob.userId]);
});
