// Scenario — logins never stall the server (issue 19.4): incremental /sync with nothing new, p50 and
// p99, first quiet, then while 20 password logins run at once over and over (each one a slow KDF).
// The KDF waits for a slot on the thread pool, so the answers the server owes others go on.

import { performance } from 'node:perf_hooks';
import { summarize, V3 } from '../http.ts';
import { registerUsers, sync, type Figure, type ScenarioResult, type Target } from '../target.ts';

const LOGINS = 20;

export async function loginLoad(t: Target): Promise<ScenarioResult> {
  const c = t.main;
  const [me, other] = await registerUsers(t, 'loginload', 2);
  const user = me!;
  const localpart = other!.userId.slice(1, other!.userId.indexOf(':'));
  let since = String((await sync(c, user, undefined, 0)).next_batch);
  const n = t.quick ? 100 : 300;
  const measure = async (): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      since = String((await sync(c, user, since, 0)).next_batch);
      ms.push(performance.now() - t0);
    }
    return ms;
  };
  const quiet = summarize(await measure());
  let stop = false;
  let logins = 0;
  const load = Array.from({ length: LOGINS }, async () => {
    while (!stop) {
      await c.ok('POST', `${V3}/login`, { type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password: 'bench-password-1' });
      logins++;
    }
  });
  const busy = summarize(await measure());
  stop = true;
  await Promise.all(load);
  const figures: Figure[] = [
    { key: 'login_load_quiet_sync_p50_ms', label: 'incremental /sync, nothing new, quiet (p50)', value: quiet.p50, unit: 'ms' },
    { key: 'login_load_sync_p50_ms', label: `  … while ${LOGINS} logins run (p50)`, value: busy.p50, unit: 'ms' },
    { key: 'login_load_sync_p99_ms', label: `  … while ${LOGINS} logins run (p99)`, value: busy.p99, unit: 'ms' },
  ];
  return { figures, notes: [`login load: ${n} syncs quiet, ${n} while ${LOGINS} logins ran (${logins} logins done meanwhile)`] };
}
