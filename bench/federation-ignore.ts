// `node --import tsx bench/federation-ignore.ts` — ignoring with a policy list that arrives over
// federation (issue 23): a remote server (its key held) joins a room of an in-process Hush (SQLite,
// in memory) with power to send state, sends 10,000 `m.policy.rule.user` rules over PUT /send, and a
// local user subscribes to the room (MSC4365). Prints: the rules' ingestion rate; the time from one
// more rule's PDU entering /send to the verdict hiding the matched user (loadIgnoreView, the policy's
// only entry); the cost of building the view (10,000 rules compiled) and of one verdict per event (RULES=, TXNS= to change the sizes);
// and ms per inbound transaction of 50 messages while the subscriber long-polls /sync, with and
// without the subscription.

import { performance } from 'node:perf_hooks';
import { MOD, REMOTE, remoteRoom } from './support/remote-room.ts';
import { eventIdFor, hashAndSignEvent } from '../packages/server/src/services/events/crypto.ts';
import { roomsStore } from '../packages/server/src/storage/rooms.store.ts';
import { hidesEvent, hidesUser } from '../packages/server/src/policy/ignore.ts';

const RULES = Number(process.env['RULES'] ?? 10_000);
const TXNS = Number(process.env['TXNS'] ?? 10);
const { t, db, roomId, alice, key, sid, send } = await remoteRoom();
const loadIgnoreView = (tx: typeof db, userId: string) => t.services.caches.ignoreViews.load(tx, userId);
const room = (await roomsStore.getRoom(db, roomId))!;
let prev = room.head_event_id as string;
let depth = room.head_depth;
function make(type: string, content: Record<string, unknown>, auth: string[], stateKey?: string) {
  const ev = hashAndSignEvent({ room_id: roomId, type, sender: MOD, content, origin_server_ts: Date.now(), depth: ++depth, prev_events: [prev], auth_events: auth, ...(stateKey !== undefined ? { state_key: stateKey } : {}) }, REMOTE, key.keyId, key.privateKey, '11');
  prev = eventIdFor(ev, '11');
  return ev;
}
const base = [await sid('m.room.create'), await sid('m.room.power_levels')];
await send([make('m.room.member', { membership: 'join' }, [...base, await sid('m.room.join_rules')], MOD)]);
const auth = [...base, await sid('m.room.member', MOD)];
const rule = (entity: string) => make('m.policy.rule.user', { recommendation: 'm.ban', entity, reason: 'bench' }, auth, `rule:${entity}`);

// Half exact users, half globs, none matching the sender of the messages below.
let start = performance.now();
for (let i = 0; i < RULES; i += 50) {
  await send(Array.from({ length: Math.min(50, RULES - i) }, (_, j) => rule(i + j < RULES / 2 ? `@spam${i + j}:evil${(i + j) % 97}.example` : `@bot${i + j}*:*.spam.example`)));
  if ((i + 50) % 1000 === 0) console.log(`  ${i + 50} rules after ${(performance.now() - start).toFixed(0)} ms`);
}
const ingestMs = performance.now() - start;
console.log(`rules: ${RULES} m.policy.rule.user PDUs over /send in ${ingestMs.toFixed(0)} ms (${((RULES / ingestMs) * 1000).toFixed(0)} rules/s)`);

const messages = (n: number, tag: string) => Array.from({ length: n }, (_, j) => make('m.room.message', { msgtype: 'm.text', body: `${tag} ${j}` }, auth));
async function perTxn(label: string): Promise<void> {
  let since = (await t.req('GET', '/_matrix/client/v3/sync?timeout=0', { token: alice.token })).json.next_batch as string;
  let total = 0;
  for (let i = 0; i < TXNS; i++) {
    const waiting = t.req('GET', `/_matrix/client/v3/sync?timeout=30000&since=${encodeURIComponent(since)}`, { token: alice.token });
    const batch = messages(50, `${label} ${i}`);
    const s = performance.now();
    await send(batch);
    const woke = await waiting;
    total += performance.now() - s;
    since = woke.json.next_batch as string;
  }
  console.log(`inbound, ${label}: ${(total / TXNS).toFixed(1)} ms per transaction of 50 messages (from /send to the waiting /sync answered)`);
}
await perTxn('not subscribed');
const put = await t.req('PUT', `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.ignored_user_list`, { token: alice.token, body: { ignored_users: {}, ignored_user_list_rooms: { [roomId]: {} } } });
if (put.status !== 200) throw new Error(put.text);
start = performance.now();
const view = await loadIgnoreView(db, alice.userId); // built by the list write already: the cached view
console.log(`view: cached in ${(performance.now() - start).toFixed(2)} ms`);
const N = 200_000;
const events = Array.from({ length: 1000 }, (_, i) => ({ sender: i % 2 ? `@user${i}:${REMOTE}` : `@bot${RULES / 2 + i}x:a.spam.example`, state_key: null }));
let hidden = 0;
start = performance.now();
for (let i = 0; i < N; i++) if (hidesEvent(view, events[i % 1000]!)) hidden++;
const verdictNs = ((performance.now() - start) * 1e6) / N;
console.log(`verdict: ${verdictNs.toFixed(0)} ns per event (hidesEvent, ${RULES}-rule view; ${((hidden / N) * 100).toFixed(0)}% hidden)`);
await perTxn(`subscribed to ${RULES} rules`);

// One more rule arrives: from its PDU entering /send to the verdict hiding the user.
const target = `@carol:${REMOTE}`;
if (hidesUser(await loadIgnoreView(db, alice.userId), target)) throw new Error('hidden before the rule');
const pdu = rule(target);
start = performance.now();
await send([pdu]);
const stored = performance.now() - start;
const rebuild = performance.now();
if (!hidesUser(await loadIgnoreView(db, alice.userId), target)) throw new Error('not hidden after the rule');
const now2 = performance.now();
console.log(`rule arrival: /send of the rule ${stored.toFixed(1)} ms, then the view rebuilt with ${RULES + 1} rules in ${(now2 - rebuild).toFixed(1)} ms: hidden ${(now2 - start).toFixed(1)} ms after the PDU entered /send`);
await t.close();
