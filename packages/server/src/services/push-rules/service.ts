// Push rules per user (client-server API "Push Rules: API" and "Push Rules: Events"): the ruleset is
// stored whole as the user's m.push_rules account data, so every edit reaches the user's clients in
// /sync account data ("When a user changes their push rules a m.push_rules event is sent"). Reads
// merge it with the current server defaults; compiled rulesets are kept per (user, position).

import type { JsonObject, PushAction, PushRule, PushRuleset, PushRulesResponse, UserId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { accountDataStore } from '../../storage/account-data.store.ts';
import { pushStore } from '../../storage/push.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import type { Notifier } from '../../notifier/notifier.ts';
import { compileRuleset, type CompiledRules } from './evaluate.ts';
import { Lru } from '../../lib/lru.ts';
import { deleteRule, findRule, mergeWithDefaults, parseKind, putRule, setActions, setEnabled, validateActions, validateNewRule, type RuleKind } from './ruleset.ts';

export const PUSH_RULES_TYPE = 'm.push_rules';

/** Compiled rulesets by user, tagged with the account-data position they were built from; a
 *  position that moved (another process wrote) rebuilds. Bounded; one per app instance. */
class CompiledCache {
  private static readonly MAX = 10_000;
  private readonly byUser = new Lru<string, { ordering: number; rules: CompiledRules }>(CompiledCache.MAX);

  get(userId: string, ordering: number): CompiledRules | undefined {
    const hit = this.byUser.get(userId);
    return hit && hit.ordering === ordering ? hit.rules : undefined;
  }

  set(userId: string, ordering: number, rules: CompiledRules): void {
    this.byUser.set(userId, { ordering, rules });
  }
}

export class PushRulesService {
  private readonly compiled = new CompiledCache();
  /** Edits of one user run one after another in this process (read, change, write). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
  ) {}

  /** The user's ruleset as GET /pushrules/ shows it. */
  async ruleset(tx: Tx, userId: string): Promise<PushRuleset> {
    const row = await accountDataStore.get(tx, userId, '', PUSH_RULES_TYPE);
    return mergeWithDefaults(userId, row ? (JSON.parse(row.content) as unknown) : undefined);
  }

  /** Compiled rulesets of these users (recipients of one event): one query for their positions,
   *  then the cache. */
  async compiledFor(tx: Tx, userIds: readonly string[]): Promise<Map<string, CompiledRules>> {
    const orderings = await pushStore.rulesOrderings(tx, userIds);
    const out = new Map<string, CompiledRules>();
    for (const userId of userIds) {
      const ordering = orderings.get(userId) ?? 0;
      let rules = this.compiled.get(userId, ordering);
      if (!rules) {
        rules = compileRuleset(ordering === 0 ? mergeWithDefaults(userId, undefined) : await this.ruleset(tx, userId));
        this.compiled.set(userId, ordering, rules);
      }
      out.set(userId, rules);
    }
    return out;
  }

  async getAll(userId: UserId): Promise<PushRulesResponse> {
    return { global: await this.ruleset(this.db, userId) };
  }

  async getGlobal(userId: UserId): Promise<PushRuleset> {
    return this.ruleset(this.db, userId);
  }

  async getRule(userId: UserId, kind: string, ruleId: string): Promise<PushRule> {
    const k = parseKind(kind);
    return findRule(await this.ruleset(this.db, userId), k, ruleId);
  }

  async put(userId: UserId, kind: string, ruleId: string, body: JsonObject, pos: { before?: string; after?: string }): Promise<void> {
    const k = parseKind(kind);
    const rule = validateNewRule(k, ruleId, body);
    await this.edit(userId, (rs) => putRule(rs, k, rule, pos));
  }

  async delete(userId: UserId, kind: string, ruleId: string): Promise<void> {
    const k = parseKind(kind);
    await this.edit(userId, (rs) => deleteRule(rs, k, ruleId));
  }

  async setEnabled(userId: UserId, kind: string, ruleId: string, enabled: boolean): Promise<void> {
    const k = parseKind(kind);
    await this.edit(userId, (rs) => setEnabled(rs, k, ruleId, enabled));
  }

  async setActions(userId: UserId, kind: string, ruleId: string, actions: unknown): Promise<void> {
    const k: RuleKind = parseKind(kind);
    const valid: PushAction[] = validateActions(actions);
    await this.edit(userId, (rs) => setActions(rs, k, ruleId, valid));
  }

  /** Reads, changes and stores the ruleset in one transaction, then wakes the user's syncs. */
  private async edit(userId: string, change: (rs: PushRuleset) => PushRuleset): Promise<void> {
    const prev = this.queues.get(userId) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(async () => {
      const pos = await this.db.transaction().execute(async (tx) => {
        const next = change(await this.ruleset(tx, userId));
        const p = await streamStore.next(tx);
        await accountDataStore.put(tx, userId, '', PUSH_RULES_TYPE, JSON.stringify({ global: next }), p);
        return p;
      });
      this.notifier.notify({ stream: pos }, { users: [userId] });
    });
    this.queues.set(userId, run);
    try {
      await run;
    } finally {
      if (this.queues.get(userId) === run) this.queues.delete(userId);
    }
  }
}
