// Scenario 4 — initial /sync (no since, no filter) of a user in 500 rooms, each holding its creation
// state and one message: p50 over a few runs (quick mode keeps 500 rooms, runs fewer times), and
// the size of the response.

import { performance } from 'node:perf_hooks';
import { pool, summarize } from '../http.ts';
import { createRoom, registerUsers, sendText, type Figure, type ScenarioResult, type Target } from '../target.ts';
import { V3 } from '../http.ts';

const ROOMS = 500;

export async function initialSync(t: Target): Promise<ScenarioResult> {
  const c = t.main;
  const [me] = await registerUsers(t, 'many', 1);
  const user = me!;
  const t0 = performance.now();
  await pool(ROOMS, 4, async (i) => {
    const room = await createRoom(c, user, { preset: 'private_chat', name: `room ${i}` });
    await sendText(c, user, room, `hello ${i}`);
  });
  const setupSecs = (performance.now() - t0) / 1000;
  const runs = t.quick ? 3 : 10;
  const ms: number[] = [];
  let bytes = 0;
  let joined = 0;
  for (let i = 0; i < runs; i++) {
    const t1 = performance.now();
    const r = await c.okRes('GET', `${V3}/sync?timeout=0`, undefined, user.token);
    ms.push(performance.now() - t1);
    bytes = r.bytes;
    joined = Object.keys(r.json?.rooms?.join ?? {}).length;
  }
  if (joined !== ROOMS) throw new Error(`initial /sync listed ${joined} joined rooms, expected ${ROOMS}`);
  const s = summarize(ms);
  const figures: Figure[] = [
    { key: 'initial_sync_500_rooms_p50_ms', label: 'initial /sync, 500 rooms (p50)', value: s.p50, unit: 'ms' },
    { key: 'initial_sync_500_rooms_bytes', label: '  … response size', value: bytes, unit: 'bytes' },
  ];
  return { figures, notes: [`initial /sync: ${runs} runs; creating the 500 rooms took ${setupSecs.toFixed(1)} s`] };
}
