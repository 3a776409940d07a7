// Push actions at write time: inside the transaction that persists an event, every recipient's
// rules are evaluated once (joined members but the sender, and the invitee of an invite) and the
// events that notify are kept in event_push_actions — unread counts and GET /notifications read
// them, applying the ignore policy when they are read. On SQLite the rows are handed, after the
// commit, to the app's HeldRows, which writes them in batches (decision 0047). For recipients with http pushers, one
// push_queue row per pusher, unless the recipient ignores the sender now ("ignored senders never
// cause a push"; un-ignoring later does not push the backlog).

import type { JsonObject, Pdu } from '@hush/protocol';
import type { Tx } from '../../storage/db.ts';
import type { EventRow } from '../../storage/events.store.ts';
import { pushStore, type PushActionRow, type PushQueueRow } from '../../storage/push.store.ts';
import { hidesInvite, hidesUser } from '../../policy/ignore.ts';
import type { Caches } from '../caches.ts';
import { keyOf } from '../rooms/state-memo.ts';
import type { RoomsTable } from '../../storage/schema.ts';
import { canNotify, powerLevelsFrom, type PowerLevels } from '../rooms/power-levels.ts';
import { evaluate, type EvalContext, type PushVerdict } from '../push-rules/evaluate.ts';
import type { PushRulesService } from '../push-rules/service.ts';

/** Thrown by a context that has not loaded what a condition asks for; loaded, then evaluated again. */
class Needs extends Error {
  constructor(readonly what: 'names' | 'power') {
    super(what);
  }
}
/** One of each, made once: a thrown Error records its stack when it is made, and these are thrown
 *  for most events (the default rules ask for display names and the sender's power). */
const NEEDS_NAMES = Object.freeze(new Needs('names'));
const NEEDS_POWER = Object.freeze(new Needs('power'));

/** The thread an event counts in: its root for a thread reply, 'main' otherwise. */
export function threadOf(content: JsonObject): string {
  const rel = content['m.relates_to'];
  if (rel && typeof rel === 'object' && !Array.isArray(rel) && rel['rel_type'] === 'm.thread' && typeof rel['event_id'] === 'string') return rel['event_id'];
  return 'main';
}

export class PushRecorder {
  constructor(
    private readonly rules: PushRulesService,
    private readonly caches: Pick<Caches, 'ignoreViews' | 'pdus' | 'roomStates' | 'heldRows'>,
  ) {}

  /** Records the push actions of one persisted event; true when something was queued for delivery.
   *  `room` is its room's row as the writer locked it (the room's state is read through the memo).
   *  `afterCommit` (the writer's) takes what to do once the event's transaction has committed: the
   *  rows go to the held ones then, when the app holds them (SQLite), else into the table now. */
  record(tx: Tx, room: RoomsTable, row: EventRow, pdu: Pdu, afterCommit?: (fn: () => void) => void): Promise<boolean> {
    return this.evaluateAndKeep(tx, room, row, pdu, afterCommit, false);
  }

  /** After a crash, for an event whose held rows were lost: its actions again, into the table
   *  (a row already there is kept), nothing queued for delivery (its transaction did that). */
  async recordAgain(tx: Tx, row: EventRow, pdu: Pdu): Promise<void> {
    await this.evaluateAndKeep(tx, row.room_id, row, pdu, undefined, true);
  }

  private async evaluateAndKeep(tx: Tx, at: RoomsTable | string, row: EventRow, pdu: Pdu, afterCommit: ((fn: () => void) => void) | undefined, again: boolean): Promise<boolean> {
    const roomId = row.room_id;
    const joined = await this.caches.roomStates.joined(tx, at);
    const recipients = new Set(joined);
    const invitee = row.type === 'm.room.member' && pdu.content['membership'] === 'invite' ? row.state_key : null;
    if (invitee !== null) recipients.add(invitee);
    // "Homeservers MUST NOT notify the Push Gateway for events that the user has sent themselves."
    recipients.delete(row.sender);
    if (recipients.size === 0) return false;
    const users = [...recipients];
    const compiled = await this.rules.compiledFor(tx, users);

    let names: Map<string, string | null> | undefined;
    let power: PowerLevels | undefined;
    const event = pdu as unknown as JsonObject;
    const ctxFor = (userId: string): EvalContext => ({
      userId,
      memberCount: () => joined.length,
      displayName: () => {
        if (!names) throw NEEDS_NAMES;
        return names.get(userId) ?? null;
      },
      senderMayNotify: (key) => {
        if (!power) throw NEEDS_POWER;
        return canNotify(power, row.sender, key);
      },
    });
    const verdicts = new Map<string, PushVerdict>();
    for (const userId of users) {
      const rules = compiled.get(userId);
      if (!rules) continue;
      for (let attempt = 0; ; attempt++) {
        try {
          verdicts.set(userId, evaluate(rules, event, ctxFor(userId)));
          break;
        } catch (err) {
          if (!(err instanceof Needs) || attempt > 2) throw err;
          if (err.what === 'names') names = await this.displayNames(tx, at, users);
          else power = await this.powerLevels(tx, at);
        }
      }
    }

    const thread = threadOf(pdu.content);
    const actions: PushActionRow[] = [];
    for (const [userId, v] of verdicts) {
      if (!v.notify) continue;
      actions.push({
        user_id: userId,
        room_id: roomId,
        stream_ordering: row.stream_ordering,
        event_id: row.event_id,
        sender: row.sender,
        thread_id: thread,
        highlight: v.highlight ? 1 : 0,
        actions: JSON.stringify(v.actions),
      });
    }
    if (actions.length === 0) return false;
    // The reads first, then the writes (on PostgreSQL the writes then go with the commit).
    const queue = again ? [] : await this.deliveries(tx, row, roomId, invitee, actions, verdicts);
    const held = this.caches.heldRows;
    if (held && afterCommit) afterCommit(() => held.add(actions, row.stream_ordering));
    else await pushStore.insertActions(tx, actions);
    if (queue.length === 0) return false;
    await pushStore.enqueue(tx, queue);
    return true;
  }

  /** One push_queue row per http pusher of a notified recipient who does not ignore the sender. */
  private async deliveries(tx: Tx, row: EventRow, roomId: string, invitee: string | null, actions: readonly PushActionRow[], verdicts: ReadonlyMap<string, PushVerdict>): Promise<PushQueueRow[]> {
    const pushers = await pushStore.httpPushersOf(tx, actions.map((a) => a.user_id));
    if (pushers.length === 0) return [];
    const now = Date.now();
    const queue: PushQueueRow[] = [];
    const allowed = new Map<string, boolean>();
    for (const p of pushers) {
      let ok = allowed.get(p.user_id);
      if (ok === undefined) {
        const view = await this.caches.ignoreViews.load(tx, p.user_id);
        ok = !hidesUser(view, row.sender) && !(invitee === p.user_id && hidesInvite(view, row.sender, roomId));
        allowed.set(p.user_id, ok);
      }
      if (!ok) continue;
      queue.push({
        user_id: p.user_id,
        app_id: p.app_id,
        pushkey: p.pushkey,
        stream_ordering: row.stream_ordering,
        event_id: row.event_id,
        room_id: roomId,
        tweaks: JSON.stringify(verdicts.get(p.user_id)?.tweaks ?? {}),
        attempts: 0,
        next_attempt_ts: now,
        created_ts: now,
      });
    }
    return queue;
  }

  /** Each recipient's display name in the room, from their current member event. */
  private async displayNames(tx: Tx, at: RoomsTable | string, users: string[]): Promise<Map<string, string | null>> {
    const { byKey: pdus } = await this.caches.roomStates.pdus(tx, at, users.map((u) => ['m.room.member', u] as const), this.caches.pdus);
    return new Map(
      users.map((u) => {
        const name = pdus.get(keyOf('m.room.member', u))?.content['displayname'];
        return [u, typeof name === 'string' ? name : null];
      }),
    );
  }

  private async powerLevels(tx: Tx, at: RoomsTable | string): Promise<PowerLevels> {
    const { byKey: pdus } = await this.caches.roomStates.pdus(tx, at, [
      ['m.room.power_levels', ''],
      ['m.room.create', ''],
    ], this.caches.pdus);
    return powerLevelsFrom(pdus.get(keyOf('m.room.power_levels', ''))?.content, pdus.get(keyOf('m.room.create', '')));
  }
}
