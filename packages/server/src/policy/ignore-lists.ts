// Loads the one IgnoreView of a user from account data and the user's policy rooms, in the caller's
// transaction, cached by stream position. The list formats and the verdicts are pure and live in
// @hush/spec (ignore/), shared with the client library.

import { compilePolicyRules, IGNORE_LIST_TYPES, lenient, parsePolicies, POLICIES, POLICIES_UNSTABLE, POLICY_RULE_TYPES, viewFromLists, type IgnoreView, type PolicyRules } from '@hush/spec';
import type { Tx } from '../storage/db.ts';
import { accountDataStore } from '../storage/account-data.store.ts';
import { stateStore } from '../storage/state.store.ts';
import { eventsStore } from '../storage/events.store.ts';

export { IGNORE_LIST_TYPES, validateIgnoreListWrite, compilePolicyRules, viewFromLists } from '@hush/spec';

/** Parsed views by user, with the stream position of the lists they were built from. Lists are
 *  parsed once per change, not once per request: with 10,000 entries a parse costs milliseconds. */
const views = new Map<string, { view: IgnoreView; listsVersion: number; rulesVersion: number }>();
const MAX_CACHED_VIEWS = 10_000;

/** The position of the newest policy-rule change in the view's policy rooms. */
async function policyVersion(tx: Tx, sources: readonly string[]): Promise<number> {
  return sources.length === 0 ? 0 : stateStore.newestChange(tx, sources, POLICY_RULE_TYPES);
}

/** MSC3847 rules of the policy rooms the user lists and is joined to. */
async function loadPolicy(tx: Tx, userId: string, raw: readonly (string | undefined)[]): Promise<{ rules: PolicyRules | null; sources: string[] }> {
  const listed = new Set<string>();
  for (const r of raw) for (const s of lenient(r, parsePolicies) ?? []) listed.add(s);
  if (listed.size === 0) return { rules: null, sources: [] };
  const sources: string[] = [];
  for (const roomId of listed) if ((await stateStore.membership(tx, roomId, userId))?.membership === 'join') sources.push(roomId);
  const refs = await stateStore.currentOfTypes(tx, sources, POLICY_RULE_TYPES);
  const rows = await eventsStore.byIds(tx, refs.map((x) => x.eventId));
  const rules = rows.map((row) => ({ type: row.type, content: (JSON.parse(row.json) as { content: Record<string, unknown> }).content }));
  return { rules: compilePolicyRules(rules), sources };
}

/** The one snapshot of a user's ignore lists, read in the caller's transaction. Its version is the
 *  newest stream position among the lists and the rules of their policy rooms. */
export async function loadIgnoreView(tx: Tx, userId: string): Promise<IgnoreView> {
  const listsVersion = await accountDataStore.newestOrdering(tx, userId, '', [...IGNORE_LIST_TYPES]);
  const hit = views.get(userId);
  if (hit && hit.listsVersion === listsVersion && hit.rulesVersion === (await policyVersion(tx, hit.view.policySources))) return hit.view;
  const rows = listsVersion === 0 ? [] : await accountDataStore.getMany(tx, userId, '', [...IGNORE_LIST_TYPES]);
  const lists = new Map(rows.map((r) => [r.type, r.content]));
  const policy = await loadPolicy(tx, userId, [lists.get(POLICIES), lists.get(POLICIES_UNSTABLE)]);
  const rulesVersion = await policyVersion(tx, policy.sources);
  const view = viewFromLists(userId, lists, Math.max(listsVersion, rulesVersion), policy);
  if (views.size >= MAX_CACHED_VIEWS) views.clear();
  views.set(userId, { view, listsVersion, rulesVersion });
  return view;
}
