// GET /sync: initial and incremental, long-polling on the notifier. One read transaction and one
// IgnoreView serve every stream of one response; each stream is a provider in streams/ (rooms,
// account data, receipts, typing, presence, to-device, device lists) that returns its part of the
// typed response and whether it holds anything — a long-poll answers only when one does.

import type { HiddenInvite, PresenceState, SyncResponse } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { stateStore } from '../../storage/state.store.ts';
import { streamStore } from '../../storage/stream.store.ts';
import type { Requester } from '../requester.ts';
import type { Notifier, Position } from '../../notifier/notifier.ts';
import type { FilterService } from '../filters.ts';
import type { TypingService } from '../typing.ts';
import type { Caches } from '../caches.ts';
import { Lru } from '../../lib/lru.ts';
import type { PresenceService } from '../presence.ts';
import { compileSyncFilter, type SyncContext, type SyncDeps, type SyncFilter } from './context.ts';
import { SentMembers } from './lazy-members.ts';
import { parseSyncToken, syncToken, type SyncPosition } from './tokens.ts';
import { accountDataStream } from './streams/account-data.ts';
import { deviceListsStream } from './streams/device-lists.ts';
import { presenceStream } from './streams/presence.ts';
import { receiptsStream } from './streams/receipts.ts';
import { roomsStream } from './streams/rooms/index.ts';
import { hiddenInvites } from './streams/rooms/invited.ts';
import { toDeviceStream } from './streams/to-device.ts';

export interface SyncParams {
  since?: string;
  /** `set_presence`: what syncing says of the user (default online). */
  setPresence?: PresenceState;
  timeout?: number;
  fullState?: boolean;
  /** `use_state_after` (v1.16, MSC4222): rooms carry `state_after` (up to the timeline's end) instead of `state`. */
  useStateAfter?: boolean;
  filter?: string;
}

export interface SyncResult {
  response: SyncResponse;
  hasData: boolean;
  position: Position;
  joinedRooms: Set<string>;
}

/** Users whose joined rooms a SyncService remembers, at most. */
const MAX_KNOWN_USERS = 100_000;

export class SyncService {
  /** Each user's joined rooms as of their last sync here (read at stream position `asOf`): any
   *  change to them is announced to the user, so with these the notifier alone can tell that
   *  nothing is new — as long as nothing was announced to the user after `asOf` (a token from
   *  another process may already be past a join this process has not read). A user forgotten
   *  (least recently synced, when full) is simply computed. */
  private readonly roomsOf = new Lru<string, { rooms: ReadonlySet<string>; epoch: number; asOf: number }>(MAX_KNOWN_USERS);
  /** The notifier only knows what happened since this process started. */
  private readonly startStream: number;
  private readonly deps: SyncDeps;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    typing: TypingService,
    private readonly filters: FilterService,
    private readonly caches: Caches,
    private readonly presence: PresenceService,
  ) {
    this.startStream = notifier.position().stream;
    this.deps = { notifier, typing, presence, caches, sentMembers: new SentMembers() };
  }

  /** True when the notifier vouches that nothing concerning the user happened after `since`. */
  private quiet(userId: string, since: SyncPosition, fullState: boolean): boolean {
    const known = this.roomsOf.get(userId);
    // A token after send-to-device messages has them to acknowledge (and maybe more waiting).
    return (
      !fullState &&
      known !== undefined &&
      known.epoch === this.notifier.epoch() &&
      !this.notifier.userChangedAfter(userId, known.asOf) &&
      since.stream >= this.startStream &&
      !since.toDeviceSent &&
      !this.notifier.changedSince(userId, known.rooms, since)
    );
  }

  async sync(r: Requester, params: SyncParams, signal?: AbortSignal): Promise<SyncResponse> {
    const done = await this.presence.syncing(r.userId, params.setPresence);
    try {
      return await this.syncOnce(r, params, signal);
    } finally {
      done();
    }
  }

  private async syncOnce(r: Requester, params: SyncParams, signal?: AbortSignal): Promise<SyncResponse> {
    const since = params.since !== undefined ? parseSyncToken(params.since) : undefined;
    const filter = compileSyncFilter(await this.filters.resolve(this.db, r.userId, params.filter));
    const deadline = Date.now() + Math.min(params.timeout ?? 0, 600_000);
    if (since && this.quiet(r.userId, since, params.fullState === true)) {
      // A wake-up can be for an announcement this token already covers (another process's
      // notification arriving late): keep waiting while the notifier still vouches for silence.
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0 || signal?.aborted) return emptySync(since);
        await this.notifier.wait(r.userId, this.roomsOf.get(r.userId)?.rooms ?? new Set<string>(), since, remaining, signal);
        if (!this.quiet(r.userId, since, false)) break;
      }
    }
    for (;;) {
      const epoch = this.notifier.epoch();
      const result = await this.db.transaction().execute((tx) => this.compute(tx, r, since, filter, params.fullState === true, params.useStateAfter === true));
      this.roomsOf.set(r.userId, { rooms: result.joinedRooms, epoch, asOf: result.position.stream });
      const remaining = deadline - Date.now();
      if (!since || result.hasData || remaining <= 0 || signal?.aborted) return result.response;
      await this.notifier.wait(r.userId, result.joinedRooms, result.position, remaining, signal);
      if (signal?.aborted) return result.response;
      if (Date.now() >= deadline) {
        // Timed out; one last look in case the wake-up raced the deadline.
        const last = await this.db.transaction().execute((tx) => this.compute(tx, r, since, filter, params.fullState === true, params.useStateAfter === true));
        return last.response;
      }
    }
  }

  private async compute(tx: Tx, r: Requester, since: SyncPosition | undefined, filter: SyncFilter, fullState: boolean, stateAfter: boolean): Promise<SyncResult> {
    // Typing numbers mean the same on every process; a token from another may be ahead of this one
    // (its changes not applied here yet): the client has seen those already.
    const position: Position = { stream: await streamStore.current(tx), typing: Math.max(this.deps.typing.current(), since?.typing ?? 0) };
    const ignore = await this.caches.ignoreViews.load(tx, r.userId);
    const all = await stateStore.membershipsOfUser(tx, r.userId);
    const memberships = all.filter((m) => filter.rooms.matchesRoom(m.room_id));
    const ctx: SyncContext = { tx, r, since, position, filter, fullState, stateAfter, ignore, memberships, deps: this.deps };
    const joinedIds = memberships.filter((m) => m.membership === 'join').map((m) => m.room_id);

    const accountData = await accountDataStream(ctx);
    const rooms = await roomsStream(ctx, { receipts: await receiptsStream(ctx, joinedIds), accountData: accountData.byRoom });
    const toDevice = await toDeviceStream(ctx);
    const e2e = await deviceListsStream(ctx);
    const presence = await presenceStream(ctx);
    const response: SyncResponse = {
      next_batch: syncToken({ ...position, toDevice: toDevice.section.position, toDeviceSent: toDevice.section.events.length > 0 }),
      rooms: rooms.section,
      account_data: accountData.global.section,
      presence: presence.section,
      to_device: { events: toDevice.section.events },
      ...e2e.section,
    };
    const hasData = [rooms, accountData.global, toDevice, e2e, presence].some((x) => x.hasData);
    return { response, hasData, position, joinedRooms: new Set(all.filter((m) => m.membership === 'join').map((m) => m.room_id)) };
  }

  /** The invites the user's lists hide, each with the rule that hid it. */
  hiddenInvites(r: Requester): Promise<HiddenInvite[]> {
    return hiddenInvites(this.db, this.caches.ignoreViews, r);
  }
}

/** The answer when nothing is new: the same position again, every section present and empty but the
 *  device's key counts, left out (unchanged): it reads nothing, and a count of 0 would make clients
 *  upload one-time keys and replace fallback keys they do not need to. */
function emptySync(since: SyncPosition): SyncResponse {
  return {
    next_batch: syncToken(since),
    rooms: { join: {}, invite: {}, leave: {}, knock: {} },
    account_data: { events: [] },
    presence: { events: [] },
    to_device: { events: [] },
    device_lists: { changed: [], left: [] },
  } as unknown as SyncResponse;
}

