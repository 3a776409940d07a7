// Room tags ("Room Tagging"): kept as the room account data `m.tag` of their owner — `{"tags":
// {name: {order?: 0…1, …}}}` — so /sync delivers them as room account data, and a write wakes the
// owner's waiting syncs like any account-data write. Only the owner reads or writes them.

import { ErrCode, MatrixError, forbidden, type JsonObject, type RoomId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { accountDataStore } from '../storage/account-data.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { Requester } from './requester.ts';

export const TAG_TYPE = 'm.tag';
/** "The name of a tag MUST not exceed 255 bytes." */
const MAX_TAG_BYTES = 255;

function tagsOf(json: string | undefined): Record<string, JsonObject> {
  if (json === undefined) return {};
  const content = JSON.parse(json) as { tags?: unknown };
  const tags = content.tags;
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) return {};
  const out: Record<string, JsonObject> = {};
  for (const [name, info] of Object.entries(tags as Record<string, unknown>)) {
    if (info && typeof info === 'object' && !Array.isArray(info)) out[name] = info as JsonObject;
  }
  return out;
}

export class TagService {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
  ) {}

  private check(r: Requester, userId: string): void {
    if (userId !== r.userId) throw forbidden("Cannot access another user's tags");
  }

  async get(r: Requester, userId: string, roomId: RoomId): Promise<{ tags: Record<string, JsonObject> }> {
    this.check(r, userId);
    return { tags: tagsOf((await accountDataStore.get(this.db, userId, roomId, TAG_TYPE))?.content) };
  }

  async set(r: Requester, userId: string, roomId: RoomId, tag: string, info: JsonObject): Promise<void> {
    this.check(r, userId);
    if (tag.length === 0 || Buffer.byteLength(tag) > MAX_TAG_BYTES) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Tag names are 1 to ${MAX_TAG_BYTES} bytes`);
    const order = info['order'];
    if (order !== undefined && (typeof order !== 'number' || order < 0 || order > 1)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'order must be a number between 0 and 1');
    await this.change(userId, roomId, (tags) => {
      tags[tag] = info;
    });
  }

  async remove(r: Requester, userId: string, roomId: RoomId, tag: string): Promise<void> {
    this.check(r, userId);
    await this.change(userId, roomId, (tags) => {
      delete tags[tag];
    });
  }

  /** Read, change and write `m.tag` in one transaction; the position is taken first, so its row
   *  lock orders concurrent changes (no tag is lost to a race). Removing a tag that is not there
   *  writes the same tags again (the answer is 200 either way). */
  private async change(userId: string, roomId: string, fn: (tags: Record<string, JsonObject>) => void): Promise<void> {
    const pos = await this.db.transaction().execute(async (tx) => {
      const p = await streamStore.next(tx);
      const tags = tagsOf((await accountDataStore.get(tx, userId, roomId, TAG_TYPE))?.content);
      fn(tags);
      await accountDataStore.put(tx, userId, roomId, TAG_TYPE, JSON.stringify({ tags }), p);
      return p;
    });
    this.notifier.notify({ stream: pos }, { users: [userId] });
  }
}
