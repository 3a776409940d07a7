// Scenario 3 — ignore-list write → effect: a user long-polls /sync (on the last process); the same
// user PUTs a changed m.ignored_user_list (on the first process). Measured from just before the
// PUT until the waiting /sync returns with the m.ignored_user_list account-data change (p50/p99),
// for a list of one entry and for lists of 1,000 and 10,000 entries (each write adds or removes
// one user, so the whole large list is sent, checked and stored every time).

import { performance } from 'node:perf_hooks';
import { sleep, summarize } from '../http.ts';
import { createRoom, registerUsers, serverNameOf, setIgnoredUsers, sync, type Figure, type ScenarioResult, type Target } from '../target.ts';
import type { Json } from '../http.ts';

async function measure(t: Target, base: number, n: number): Promise<{ wake: number[]; put: number[] }> {
  const [me, other] = await registerUsers(t, `ignorer${base}`, 2);
  const user = me!;
  await createRoom(t.main, user);
  // Users that need not exist: a list may name anyone.
  const filler = Array.from({ length: base }, (_, i) => `@filler${i}:${serverNameOf(user.userId)}`);
  await setIgnoredUsers(t.main, user, filler);
  let tok = String((await sync(t.waiters, user, undefined, 0)).next_batch);
  const wake: number[] = [];
  const put: number[] = [];
  for (let i = 0; i < n; i++) {
    const list = i % 2 === 0 ? [...filler, other!.userId] : filler;
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
    const done = setIgnoredUsers(t.main, user, list).then(() => performance.now());
    const t1 = await woken;
    put.push((await done) - t0);
    wake.push(t1 - t0);
  }
  return { wake, put };
}

export async function ignoreWake(t: Target): Promise<ScenarioResult> {
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const [base, label, key] of [
    [0, '1 entry', ''],
    [1_000, '1,000 entries', '_1k'],
    [10_000, '10,000 entries', '_10k'],
  ] as const) {
    const n = base >= 10_000 ? (t.quick ? 20 : 60) : t.quick ? 100 : 300;
    const { wake, put } = await measure(t, base, n);
    const s = summarize(wake);
    figures.push(
      { key: `ignore_wake${key}_p50_ms`, label: `ignore-list PUT (${label}) → waiting /sync returns it (p50)`, value: s.p50, unit: 'ms' },
      { key: `ignore_wake${key}_p99_ms`, label: `ignore-list PUT (${label}) → waiting /sync returns it (p99)`, value: s.p99, unit: 'ms' },
      { key: `ignore_put${key}_p50_ms`, label: `  … the PUT alone, until its response (p50)`, value: summarize(put).p50, unit: 'ms' },
    );
    notes.push(`ignore wake-up at ${label}: ${n} samples, one user added and removed in turn`);
  }
  if (t.urls.length > 1) notes.push('PUT on the first process, /sync on the last');
  return { figures, notes };
}
