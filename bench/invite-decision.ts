// Micro-benchmark of the policy's invite verdict against large lists: 10,000 ignored users, 1,000
// ignored servers, 10,000 ignored rooms, 1,000 MSC4155 globs and 1,000 policy-room rules. The
// verdict runs in-process (no HTTP): the figure is the policy's own cost per decision.

import { performance } from 'node:perf_hooks';
import { inviteRule, type IgnoreView } from '../packages/server/src/policy/ignore.ts';
import { compilePolicyRules, viewFromLists } from '../packages/server/src/policy/ignore-lists.ts';

export function inviteDecisionFigures(): Record<string, number> {
  const users = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`@spam${i}:spam.example`, {}]));
  const servers = Array.from({ length: 1_000 }, (_, i) => `bad${i}.example`);
  const rooms = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`!room${i}:spam.example`, {}]));
  const globs = Array.from({ length: 1_000 }, (_, i) => `@*bot${i}:*.example`);
  const lists = new Map<string, string>([
    ['m.ignored_user_list', JSON.stringify({ ignored_users: users })],
    ['m.ignored_invites', JSON.stringify({ ignored_servers: servers, ignored_room_ids: rooms })],
    ['org.matrix.msc4155.invite_permission_config', JSON.stringify({ ignored_users: globs })],
  ]);
  const rules = compilePolicyRules(Array.from({ length: 1_000 }, (_, i) => ({ type: 'm.policy.rule.user', content: { entity: `@troll${i}:*`, recommendation: 'm.ban' } })));
  const t0 = performance.now();
  const view: IgnoreView = viewFromLists('@me:home.example', lists, 1, { rules, sources: [] });
  const buildMs = performance.now() - t0;
  const probes: [string, string][] = [
    ['@spam5000:spam.example', '!x:y'], // exact ignored user
    ['@someone:bad500.example', '!x:y'], // ignored server
    ['@friend:good.example', '!room9999:spam.example'], // ignored room
    ['@friend:good.example', '!fine:good.example'], // shown: every list consulted, globs included
  ];
  const out: Record<string, number> = { build_view_ms: Math.round(buildMs * 100) / 100 };
  for (const [i, [inviter, room]] of probes.entries()) {
    const n = 200_000;
    const start = performance.now();
    let hidden = 0;
    for (let k = 0; k < n; k++) if (inviteRule(view, inviter, room) !== null) hidden++;
    const us = ((performance.now() - start) * 1000) / n;
    out[`decision_us_${['exact_user', 'server', 'room', 'shown_after_globs'][i]}`] = Math.round(us * 1000) / 1000;
    if ((hidden > 0) !== (i < 3)) throw new Error(`unexpected verdict for probe ${i}`);
  }
  return out;
}
