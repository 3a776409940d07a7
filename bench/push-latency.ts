// `node --import tsx bench/push-latency.ts [N]`: push delivery latency — from just before the PUT
// /send until the push gateway (node:http on loopback, in this process) receives the notification;
// p50/p99 over N sequential sends (default 100) by one member of a 10-member room to a member with
// an http pusher. Starts its own `hush serve` (SQLite, outbound_allow_private on).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { client, startHush } from '../tests/support/server.ts';
import { steps, V3 } from '../tests/e2e/support/steps.ts';
import { startPushGateway } from '../tests/e2e/support/push-gateway.ts';

const n = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'hush-push-bench-'));
writeFileSync(join(dir, 'hush.yaml'), 'outbound_allow_private: on\n');
const gw = await startPushGateway();
const hush = await startHush({ database: join(dir, 'hush.sqlite'), args: ['--config', join(dir, 'hush.yaml')] });
try {
  const w = steps(client(hush.baseUrl));
  const users = await Promise.all(Array.from({ length: 10 }, (_, i) => w.user(`pb${i}`)));
  const [target, sender] = [users[0]!, users[1]!];
  const room = await w.createRoom(target, { preset: 'public_chat' });
  for (const u of users.slice(1)) await w.join(u, room);
  const r = await w.http.request('POST', `${V3}/pushers/set`, {
    token: target.token,
    body: { pushkey: 'bench', kind: 'http', app_id: 'org.example.bench', app_display_name: 'b', device_display_name: 'd', lang: 'en', data: { url: gw.url } },
  });
  if (r.status !== 200) throw new Error(r.text);
  const ms: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const t0 = performance.now();
    const ev = await w.send(sender, room, `bench ${i}`);
    const got = await gw.waitFor(ev, 10_000);
    if (!got) throw new Error(`no push for ${ev}`);
    if (i >= 10) ms.push(got.at - t0); // the first 10 warm up
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
  console.log(`push delivery latency (send → gateway receives), ${n} sends, 10-member room: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
} finally {
  await hush.stop();
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
}
