// `node --import tsx bench/send-pages.ts` (env M: members, default 10)
// Pages a send writes on SQLite (issue 19, decision 0047): one homeserver in-process on a SQLite
// file, one room of M members, 500 warm-up sends, a truncating checkpoint, then 200 sends one at a
// time; the WAL's frames are counted per send and each frame's page is named by the b-tree that
// owns it (SQLite's dbstat). In WAL mode a commit writes every page it dirtied, 4 KiB each, so
// this is most of what the commit costs.

import { statSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { inProcessRoom } from './support/in-process-room.ts';
const MEMBERS = Number(process.env.M ?? 10);
const { database: db, users, roomId, inject, close } = await inProcessRoom(MEMBERS, 'hush-send-pages');
let k = 0;
const send = async (n: number) => { for (let i = 0; i < n; i++, k++) await inject('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${k}`, users[k % MEMBERS]!.token, { msgtype: 'm.text', body: `message ${k}` }); };
await send(500);
const side = new SqliteDatabase(db);
side.pragma('wal_checkpoint(TRUNCATE)');
const N = 200;
await send(N);
const size = statSync(db + '-wal').size;
console.log('frames/send', ((size - 32) / (4096 + 24) / N).toFixed(2));
// which pages: read the WAL frame headers' page numbers, map to btrees by dbstat
const { readFileSync } = await import('node:fs');
const wal = readFileSync(db + '-wal');
const pages = new Map<number, number>();
for (let off = 32; off + 24 <= wal.length; off += 4096 + 24) { const pg = wal.readUInt32BE(off); const commit = wal.readUInt32BE(off + 4); pages.set(pg, (pages.get(pg) ?? 0) + 1); void commit; }
const owner = new Map<number, string>();
for (const r of side.prepare('select name, pageno from dbstat').all() as { name: string; pageno: number }[]) owner.set(r.pageno, r.name);
const byName = new Map<string, number>();
for (const [pg, n] of pages) { const nm = owner.get(pg) ?? `?${pg}`; byName.set(nm, (byName.get(nm) ?? 0) + n); }
for (const [nm, n] of [...byName].sort((a, b) => b[1] - a[1])) console.log((n / N).toFixed(2).padStart(6), nm);
side.close();
await close();
