// Scenario 1 — incremental /sync with nothing new (timeout=0, since = the latest next_batch), p50
// and p99, for a user in 50 rooms whose m.ignored_user_list holds 0, 1,000 and 10,000 users (made-up
// ids on the target's server name). The output is the same at every size, so the 10k/0 ratio is
// the cost of carrying the list alone. Target: ≤ 1 ms p50; ≤ 1.1× at 10,000.

import { performance } from 'node:perf_hooks';
import { pool, round, summarize } from '../http.ts';
import { createRoom, madeUpUsers, registerUsers, serverNameOf, setIgnoredUsers, sync, sendText, type Figure, type ScenarioResult, type Target } from '../target.ts';

const ROOMS = 50;
const SIZES = [0, 1_000, 10_000];

export async function idleSync(t: Target): Promise<ScenarioResult> {
  const c = t.main;
  const [me] = await registerUsers(t, 'idle', 1);
  const user = me!;
  await pool(ROOMS, 4, async () => {
    const room = await createRoom(c, user);
    await sendText(c, user, room, 'hello');
  });
  const ghosts = madeUpUsers(t, serverNameOf(user.userId), Math.max(...SIZES));
  // Rounds interleave the list sizes, each round in a rotated order, so that drift in the machine's
  // load (it is shared) and the first samples after a list change do not land on one size only.
  const rounds = t.quick ? 3 : 6;
  const perRound = t.quick ? 100 : 350;
  const ms = new Map<number, number[]>(SIZES.map((n) => [n, []]));
  let since = String((await sync(c, user, undefined, 0)).next_batch);
  for (let r = 0; r < rounds; r++) {
    for (const size of [...SIZES.slice(r % SIZES.length), ...SIZES.slice(0, r % SIZES.length)]) {
      await setIgnoredUsers(c, user, ghosts.slice(0, size));
      // Catch up past the account-data change; from here on nothing is new.
      since = String((await sync(c, user, since, 0)).next_batch);
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        const j = await sync(c, user, since, 0);
        ms.get(size)!.push(performance.now() - t0);
        since = String(j.next_batch);
      }
    }
  }
  const figures: Figure[] = [];
  const p50s: number[] = [];
  for (const size of SIZES) {
    const s = summarize(ms.get(size)!);
    p50s.push(s.p50);
    const label = `incremental /sync, nothing new, 50 rooms, ${size.toLocaleString('en')} ignored`;
    figures.push({ key: `idle_sync_${size}_ignored_p50_ms`, label: `${label} (p50)`, value: s.p50, unit: 'ms' });
    figures.push({ key: `idle_sync_${size}_ignored_p99_ms`, label: `${label} (p99)`, value: s.p99, unit: 'ms' });
  }
  figures.push({ key: 'idle_sync_ratio_10k_to_0', label: 'incremental /sync p50: 10,000 ignored / none', value: round(p50s[2]! / p50s[0]!), unit: 'x' });
  return { figures, notes: [`${rounds * perRound} sequential syncs per list size, in ${rounds} interleaved rounds`] };
}
