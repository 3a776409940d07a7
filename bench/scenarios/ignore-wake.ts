// Scenario 3 — ignore-list write → effect: a user long-polls /sync (on the last process); the same
// user PUTs a changed m.ignored_user_list (on the first process). Measured from just before the
// PUT until the waiting /sync returns with the m.ignored_user_list account-data change (p50/p99).

import { performance } from 'node:perf_hooks';
import { sleep, summarize } from '../http.ts';
import { createRoom, registerUsers, setIgnoredUsers, sync, type Figure, type ScenarioResult, type Target } from '../target.ts';
import type { Json } from '../http.ts';

export async function ignoreWake(t: Target): Promise<ScenarioResult> {
  const [me, other] = await registerUsers(t, 'ignorer', 2);
  const user = me!;
  await createRoom(t.main, user);
  let tok = String((await sync(t.waiters, user, undefined, 0)).next_batch);
  const n = t.quick ? 100 : 300;
  const ms: number[] = [];
  const putMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const list = i % 2 === 0 ? [other!.userId] : [];
    const woken = (async () => {
      for (;;) {
        const j = await sync(t.waiters, user, tok, 30_000);
        tok = String(j.next_batch);
        const events = (j?.account_data?.events as Json[] | undefined) ?? [];
        const ev = events.find((e) => e?.type === 'm.ignored_user_list');
        if (ev && Object.keys(ev.content?.ignored_users ?? {}).length === list.length) return performance.now();
      }
    })();
    await sleep(5); // let the /sync park on the server
    const t0 = performance.now();
    const put = setIgnoredUsers(t.main, user, list).then(() => performance.now());
    const t1 = await woken;
    putMs.push((await put) - t0);
    ms.push(t1 - t0);
  }
  const s = summarize(ms);
  const figures: Figure[] = [
    { key: 'ignore_wake_p50_ms', label: 'ignore-list PUT → waiting /sync returns it (p50)', value: s.p50, unit: 'ms' },
    { key: 'ignore_wake_p99_ms', label: 'ignore-list PUT → waiting /sync returns it (p99)', value: s.p99, unit: 'ms' },
    { key: 'ignore_put_p50_ms', label: '  … the PUT alone, until its response (p50)', value: summarize(putMs).p50, unit: 'ms' },
  ];
  return { figures, notes: [`ignore wake-up: ${n} samples, the list alternates between one user and none${t.urls.length > 1 ? '; PUT on the first process, /sync on the last' : ''}`] };
}
