// Loads the one IgnoreView of a user from account data and the user's policy rooms, in the caller's
// transaction, cached by stream position in the app's IgnoreViews (one per app instance, made by
// services/caches.ts). The list formats and the verdicts are pure and live in @hush/protocol
// (ignore/), shared with the client library.

import {
  compileIgnoreRules,
  compilePolicyRules,
  IGNORE_LIST_TYPES,
  IGNORED_USER_LIST,
  parseLists,
  POLICIES,
  POLICIES_UNSTABLE,
  POLICY_RULE_TYPES,
  policyRoomsOf,
  viewFromParsed,
  type IgnoredUserList,
  type IgnoreView,
  type ParsedLists,
  type PolicyListOptions,
  type PolicyRule,
  type ViewPolicy,
} from '@hush/protocol';
import type { Tx } from '../storage/db.ts';
import type { PolicyView } from './ignore.ts';
import { accountDataStore } from '../storage/account-data.store.ts';
import { stateStore } from '../storage/state.store.ts';
import { eventsStore } from '../storage/events.store.ts';
import { roomUpgradesStore } from '../storage/room-upgrades.store.ts';
import { Lru } from '../lib/lru.ts';

export { IGNORE_LIST_TYPES, validateIgnoreListWrite, compilePolicyRules, viewFromLists } from '@hush/protocol';

/** Parsed views by user, with the stream position of the lists they were built from and the parsed
 *  lists themselves. Lists are parsed once per change, not once per request: with 10,000 entries a
 *  parse costs milliseconds. */
interface CachedView {
  view: PolicyView;
  listsVersion: number;
  rulesVersion: number;
  listed: string[];
  parsed: ParsedLists;
  policy: ViewPolicy;
  /** The newest room upgrade the view's ignored rooms were followed through (0: none). */
  upgradesVersion?: number;
  /** The views this one replaced, oldest first (a few): what a /sync token of before the change saw. */
  history: PolicyView[];
}
const HISTORY = 8;
const MAX_CACHED_VIEWS = 10_000;

/** The position of the newest change that can change the compiled rules: a rule in the policy rooms
 *  read, or the user's membership in any listed policy room (joining one starts its rules). */
async function policyVersion(tx: Tx, userId: string, listed: readonly string[], sources: readonly string[]): Promise<number> {
  if (listed.length === 0) return 0;
  return Math.max(await stateStore.newestChange(tx, sources, POLICY_RULE_TYPES), await stateStore.newestMembershipOf(tx, userId, listed));
}

/** The rules of policy rooms the user is joined to, by room (one read for all rooms). */
async function rulesByRoom(tx: Tx, userId: string, rooms: Iterable<string>): Promise<Map<string, PolicyRule[]>> {
  const joined: string[] = [];
  for (const roomId of rooms) if ((await stateStore.membership(tx, roomId, userId))?.membership === 'join') joined.push(roomId);
  const byRoom = new Map<string, PolicyRule[]>(joined.map((r) => [r, []]));
  const refs = await stateStore.currentOfTypes(tx, joined, POLICY_RULE_TYPES);
  for (const row of await eventsStore.byIds(tx, refs.map((x) => x.eventId))) {
    byRoom.get(row.room_id)?.push({ type: row.type, content: (JSON.parse(row.json) as { content: Record<string, unknown> }).content });
  }
  return byRoom;
}

/** MSC3847 invite rules (`m.policies`) and MSC4365 ignore rules (`ignored_user_list_rooms`) of the
 *  policy rooms the user lists and is joined to. */
async function loadPolicy(tx: Tx, userId: string, parsed: ParsedLists): Promise<ViewPolicy & { listed: string[] }> {
  const { inviteRooms, ignoreRooms } = policyRoomsOf(parsed);
  const listed = [...new Set([...inviteRooms, ...ignoreRooms.keys()])];
  if (listed.length === 0) return { rules: null, ignoreRules: null, sources: [], listed };
  const byRoom = await rulesByRoom(tx, userId, listed);
  const inviteFrom = [...inviteRooms].filter((r) => byRoom.has(r));
  const ignoreFrom = [...ignoreRooms].filter(([r]) => byRoom.has(r));
  return {
    rules: inviteFrom.length > 0 ? compilePolicyRules(inviteFrom.flatMap((r) => byRoom.get(r) ?? [])) : null,
    ignoreRules: ignoreFrom.length > 0 ? compileIgnoreRules(ignoreFrom.map(([r, options]) => ({ rules: byRoom.get(r) ?? [], options }))) : null,
    sources: [...byRoom.keys()],
    listed,
  };
}

/** Upgrades followed from an ignored room at most (a chain of successors), and rooms added in all. */
const MAX_UPGRADE_HOPS = 16;
const MAX_SUCCESSORS = 1000;

/**
 * MSC2270 / MSC3840 room ignores follow room upgrades: a room whose create event names an ignored
 * room as its predecessor is ignored too, and so on down the chain (bounded). Invites to the new
 * room are then hidden like invites to the old one. The view is returned as it is when it ignores
 * no room or none was upgraded; otherwise its version includes the newest upgrade.
 */
async function followUpgrades(tx: Tx, view: IgnoreView, upgradesVersion: number): Promise<IgnoreView> {
  if (view.ignoredInviteRooms.size === 0 || upgradesVersion === 0) return view;
  const rooms = new Set(view.ignoredInviteRooms);
  let frontier = [...rooms];
  for (let hop = 0; hop < MAX_UPGRADE_HOPS && frontier.length > 0 && rooms.size < view.ignoredInviteRooms.size + MAX_SUCCESSORS; hop++) {
    const next: string[] = [];
    for (const { roomId } of await roomUpgradesStore.successorsOf(tx, frontier)) {
      if (rooms.has(roomId)) continue;
      rooms.add(roomId);
      next.push(roomId);
    }
    frontier = next;
  }
  if (rooms.size === view.ignoredInviteRooms.size) return view;
  return { ...view, ignoredInviteRooms: rooms, version: Math.max(view.version, upgradesVersion) };
}

/** Whether two MSC4365 subscriptions name the same rooms with the same options. */
function sameRuleRooms(a: IgnoredUserList | undefined, b: IgnoredUserList | undefined): boolean {
  const x = a?.ruleRooms ?? new Map<string, PolicyListOptions>();
  const y = b?.ruleRooms ?? new Map<string, PolicyListOptions>();
  if (x.size !== y.size) return false;
  for (const [room, o] of x) if (JSON.stringify(o) !== JSON.stringify(y.get(room))) return false;
  return true;
}

/**
 * The loaded views of one app instance's users, by user id: least recently used forgotten first.
 * Two apps in one process (two databases) never see each other's views.
 */
export class IgnoreViews {
  private readonly views = new Lru<string, CachedView>(MAX_CACHED_VIEWS);

  /** The one snapshot of a user's ignore lists, read in the caller's transaction. Its version is the
   *  newest stream position among the lists and the rules of their policy rooms. */
  async load(tx: Tx, userId: string): Promise<PolicyView> {
    const listsVersion = await accountDataStore.newestOrdering(tx, userId, '', [...IGNORE_LIST_TYPES]);
    const hit = this.views.get(userId);
    // Only a view that ignores rooms depends on room upgrades (one indexed max() for those users).
    const upgrades = async (rooms: number) => (rooms > 0 ? roomUpgradesStore.newest(tx) : 0);
    if (
      hit &&
      hit.listsVersion === listsVersion &&
      hit.rulesVersion === (await policyVersion(tx, userId, hit.listed, hit.view.policySources)) &&
      (hit.upgradesVersion ?? 0) === (await upgrades(hit.view.ignoredInviteRooms.size))
    ) {
      return hit.view;
    }
    const rows = listsVersion === 0 ? [] : await accountDataStore.getMany(tx, userId, '', [...IGNORE_LIST_TYPES]);
    const parsed = parseLists(new Map(rows.map((r) => [r.type, r.content])));
    const policy = await loadPolicy(tx, userId, parsed);
    const rulesVersion = await policyVersion(tx, userId, policy.listed, policy.sources);
    const direct = viewFromParsed(userId, parsed, Math.max(listsVersion, rulesVersion), policy);
    const upgradesVersion = await upgrades(direct.ignoredInviteRooms.size);
    // The one place a PolicyView is made: everything the user said, loaded.
    const view = (await followUpgrades(tx, direct, upgradesVersion)) as PolicyView;
    return this.remember(userId, { view, listsVersion, rulesVersion, listed: policy.listed, parsed, policy, upgradesVersion }, hit);
  }

  /**
   * The view that was in force at stream position `position` (the one a /sync token of that position
   * was answered with), when this process knows it: it built every view since. With several processes
   * (`shared`) another may have changed the lists unseen here, so there is no answer.
   */
  at(userId: string, position: number, shared: boolean): PolicyView | undefined {
    const entry = this.views.peek(userId);
    if (shared || !entry) return undefined;
    const known = [...entry.history, entry.view];
    // Before the oldest view held, nothing is known.
    if (known[0]!.version > position) return undefined;
    return known.findLast((v) => v.version <= position);
  }

  /**
   * After `type` was written (already parsed by validateIgnoreListWrite) at stream position `after`,
   * where the user's lists stood at `before`: the new view is built from the cached parse of the
   * other lists and the one just written, so nobody parses the list again. Only when the cache held
   * exactly the lists as of `before`, the write names the same policy rooms, and no other process
   * may have written meanwhile (`shared`); otherwise the next read loads afresh.
   */
  noteWrite(userId: string, type: string, parsedContent: unknown, before: number, after: number, shared: boolean): void {
    const hit = this.views.get(userId);
    if (shared || !hit || hit.listsVersion !== before || type === POLICIES || type === POLICIES_UNSTABLE) {
      // Read afresh next time, but keep what was seen before for at().
      if (hit) this.views.set(userId, { ...hit, listsVersion: -1 });
      return;
    }
    if (type === IGNORED_USER_LIST && !sameRuleRooms(hit.parsed.get(type) as IgnoredUserList | undefined, parsedContent as IgnoredUserList)) return;
    const parsed = new Map(hit.parsed);
    parsed.set(type, parsedContent);
    const view = viewFromParsed(userId, parsed, Math.max(after, hit.rulesVersion), hit.policy) as PolicyView;
    // Ignored rooms are followed through room upgrades by a read: let the next load build the view.
    if (view.ignoredInviteRooms.size > 0) return void this.views.set(userId, { ...hit, listsVersion: -1 });
    this.remember(userId, { ...hit, view, listsVersion: after, parsed, upgradesVersion: 0 }, hit);
  }

  private remember(userId: string, entry: Omit<CachedView, 'history'>, replaced: CachedView | undefined): PolicyView {
    const history = replaced && replaced.view.version < entry.view.version ? [...replaced.history, replaced.view].slice(-HISTORY) : (replaced?.history ?? []);
    this.views.set(userId, { ...entry, history });
    return entry.view;
  }
}
