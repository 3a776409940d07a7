// `node --import tsx bench/state-deltas.ts` — what keeping the state per event costs an inbound PDU
// (issue 21, decision 0037). An in-process Hush (SQLite, in memory) and a remote server (its key
// held) whose user has power 100 in a room with STATE extra state events. Prints ms per PDU over
// PUT /send (one PDU a transaction) for: N messages on the room's head (linear: no delta rows);
// then, after DIFF state changes on the main branch, N messages chained on a side branch forked
// before them (each one's state before differs from the history in DIFF keys: DIFF delta rows a
// PDU); and the time of /state_ids at a linear event and at a side-branch one. Runs on older
// commits too (it only uses /send and /state_ids), to compare.

import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { MOD, REMOTE, US, remoteRoom } from './support/remote-room.ts';
import { eventIdFor, hashAndSignEvent } from '../packages/server/src/services/events/crypto.ts';
import { signRequest } from '../packages/server/src/federation/transport/x-matrix.ts';
import { roomsStore } from '../packages/server/src/storage/rooms.store.ts';

const STATE = Number(process.env['STATE'] ?? 1000);
const DIFF = Number(process.env['DIFF'] ?? 20);
const N = Number(process.env['N'] ?? 200);
const { t, db, roomId, key, sid, send } = await remoteRoom();
async function stateIdsMs(eventId: string, times = 20): Promise<number> {
  const uri = `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(eventId)}`;
  const start = performance.now();
  for (let i = 0; i < times; i++) {
    const res = await t.req('GET', uri, { headers: { authorization: signRequest({ method: 'GET', uri, origin: REMOTE, destination: US }, key.keyId, key.privateKey) } });
    if (res.status !== 200) throw new Error(res.text);
  }
  return (performance.now() - start) / times;
}

const room = (await roomsStore.getRoom(db, roomId))!;
/** A PDU of MOD's on `prev` (depth one more than `depth`). */
function make(prev: string, depth: number, type: string, content: Record<string, unknown>, auth: string[], stateKey?: string) {
  const ev = hashAndSignEvent({ room_id: roomId, type, sender: MOD, content, origin_server_ts: Date.now(), depth: depth + 1, prev_events: [prev], auth_events: auth, ...(stateKey !== undefined ? { state_key: stateKey } : {}) }, REMOTE, key.keyId, key.privateKey, '11');
  return { ev, id: eventIdFor(ev, '11'), depth: depth + 1 };
}
let head = { id: room.head_event_id as string, depth: room.head_depth };
async function onHead(type: string, content: Record<string, unknown>, auth: string[], stateKey?: string, batch?: unknown[]) {
  const p = make(head.id, head.depth, type, content, auth, stateKey);
  head = { id: p.id, depth: p.depth };
  if (batch) batch.push(p.ev);
  else await send([p.ev]);
  return p.id;
}
const base = [await sid('m.room.create'), await sid('m.room.power_levels')];
await onHead('m.room.member', { membership: 'join' }, [...base, await sid('m.room.join_rules')], MOD);
const auth = [...base, await sid('m.room.member', MOD)];
for (let i = 0; i < STATE; i += 50) {
  const batch: unknown[] = [];
  for (let j = i; j < Math.min(i + 50, STATE); j++) await onHead('bench.state', { n: j, v: 0 }, auth, `k${j}`, batch);
  await send(batch);
}

// Linear: each message on the head.
let start = performance.now();
for (let i = 0; i < N; i++) await onHead('m.room.message', { msgtype: 'm.text', body: `linear ${i}` }, auth);
const linearMs = (performance.now() - start) / N;
const linearEvent = head.id;

// A side branch forked here; DIFF state changes on the main branch first.
const fork = { ...head };
for (let j = 0; j < DIFF; j++) await onHead('bench.state', { n: j, v: 1 }, auth, `k${j}`);
let side = fork;
start = performance.now();
for (let i = 0; i < N; i++) {
  const p = make(side.id, side.depth, 'm.room.message', { msgtype: 'm.text', body: `side ${i}` }, auth);
  await send([p.ev]);
  side = { id: p.id, depth: p.depth };
}
const forkMs = (performance.now() - start) / N;

const tables = await db.selectFrom('sqlite_master' as never).select('name' as never).where('name' as never, '=', 'event_state_deltas' as never).execute();
const deltaRows = tables.length > 0 ? Number((await db.selectFrom('event_state_deltas' as never).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0) : 0;
const readLinear = await stateIdsMs(linearEvent);
const readFork = await stateIdsMs(side.id);
console.log(`room state ${STATE + 8} events; N=${N} PDUs each, one a transaction; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`linear messages:            ${linearMs.toFixed(2)} ms per PDU`);
console.log(`side-branch messages:       ${forkMs.toFixed(2)} ms per PDU (state before differs from the history in ${DIFF} keys; ${deltaRows} delta rows in all)`);
console.log(`/state_ids at a linear event: ${readLinear.toFixed(2)} ms; at a side-branch event: ${readFork.toFixed(2)} ms`);
await t.close();
