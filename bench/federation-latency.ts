// `node --import tsx bench/federation-latency.ts` — two `hush serve` processes federating over TLS on
// loopback (tests/e2e/support/federation.ts): (1) a message sent on A to a /sync already waiting on B
// (the send's start to the /sync's answer), MESSAGES times, p50/p99; (2) a remote join's duration
// (POST /join on B until it answers) of a room on A with MEMBERS joined members (users of A).
// Env: MESSAGES (default 100), MEMBERS (default 200).

import { performance } from 'node:perf_hooks';
import { client, type ClientSession } from '../tests/support/server.ts';
import { FederationTestbed } from '../tests/e2e/support/federation.ts';

const MESSAGES = Number(process.env['MESSAGES'] ?? 100);
const MEMBERS = Number(process.env['MEMBERS'] ?? 200);
const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const bed = new FederationTestbed();
try {
  const [a, b] = await Promise.all([bed.start(), bed.start()]);
  const A = client(a.proc.baseUrl);
  const B = client(b.proc.baseUrl);
  const alice = await A.register('alice');
  const bob = await B.register('bob');
  const mk = await A.request('POST', `${V3}/createRoom`, { token: alice.token, body: { preset: 'public_chat' } });
  const roomId = mk.json.room_id as string;
  const joined = await B.request('POST', `${V3}/join/${enc(roomId)}?via=${enc(a.name)}`, { token: bob.token, body: {} });
  if (joined.status !== 200) throw new Error(joined.text);

  // (1) A → a waiting /sync on B.
  let since = (await B.request('GET', `${V3}/sync?timeout=0`, { token: bob.token })).json.next_batch as string;
  const lat: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const body = `m${i}`;
    const waiting = (async () => {
      for (;;) {
        const s = await B.request('GET', `${V3}/sync?timeout=10000&since=${enc(since)}`, { token: bob.token });
        since = s.json.next_batch;
        const tl = (s.json.rooms?.join?.[roomId]?.timeline?.events ?? []) as { content?: { body?: string } }[];
        if (tl.some((e) => e.content?.body === body)) return performance.now();
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const sent = await A.request('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/l${i}`, { token: alice.token, body: { msgtype: 'm.text', body } });
    if (sent.status !== 200) throw new Error(sent.text);
    lat.push((await waiting) - t0);
  }
  lat.sort((x, y) => x - y);
  console.log(`A → waiting /sync on B: ${MESSAGES} messages, p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${lat.at(-1)?.toFixed(1)} ms`);

  // (2) A remote join of a room with MEMBERS members.
  const big = await A.request('POST', `${V3}/createRoom`, { token: alice.token, body: { preset: 'public_chat' } });
  const bigId = big.json.room_id as string;
  const t1 = performance.now();
  const users: ClientSession[] = [];
  for (let i = 1; i < MEMBERS; i += 10) {
    users.push(...(await Promise.all(Array.from({ length: Math.min(10, MEMBERS - i) }, (_, k) => A.register(`m${i + k}`)))));
  }
  for (const u of users) {
    const j = await A.request('POST', `${V3}/join/${enc(bigId)}`, { token: u.token, body: {} });
    if (j.status !== 200) throw new Error(j.text);
  }
  console.log(`(room of ${MEMBERS} members made in ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  const carol = await B.register('carol');
  const t2 = performance.now();
  const rj = await B.request('POST', `${V3}/join/${enc(bigId)}?via=${enc(a.name)}`, { token: carol.token, body: {} });
  if (rj.status !== 200) throw new Error(rj.text);
  const joinMs = performance.now() - t2;
  const members = await B.request('GET', `${V3}/rooms/${enc(bigId)}/joined_members`, { token: carol.token });
  console.log(`remote join of a room with ${MEMBERS} members: ${joinMs.toFixed(0)} ms (B then lists ${Object.keys(members.json.joined ?? {}).length} joined)`);
} finally {
  await bed.close();
}
