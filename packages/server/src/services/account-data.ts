// Account data, global and per room (spec "Client Config"): only the owner reads or writes it;
// ignore lists are validated by the policy before anything is stored; every write wakes the
// owner's waiting syncs so that they "immediately start ignoring".

import { ErrCode, MatrixError, forbidden, isRoomId, type JsonObject } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { accountDataStore } from '../storage/account-data.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { Requester } from './requester.ts';
import { IGNORE_LIST_TYPES, validateIgnoreListWrite, type IgnoreViews } from '../policy/ignore-lists.ts';
import { Lru } from '../lib/lru.ts';

/** Large account-data contents as objects, by (user, room, type, position): a 10,000-entry ignore
 *  list is 330 KB, and /sync would otherwise parse it again for every response that carries it. A
 *  write keeps the object it was given; positions change with every write, so entries never go
 *  stale; the size is bounded. One per app instance. */
export class ParsedContents {
  private static readonly LARGE = 16 * 1024;
  private static readonly MAX = 256;
  private readonly byKey = new Lru<string, JsonObject>(ParsedContents.MAX);

  private static key(userId: string, roomId: string, type: string, ordering: number): string {
    return `${userId}\u0000${roomId}\u0000${type}\u0000${ordering}`;
  }

  remember(userId: string, roomId: string, type: string, ordering: number, length: number, content: JsonObject): void {
    if (length < ParsedContents.LARGE) return;
    this.byKey.set(ParsedContents.key(userId, roomId, type, ordering), content);
  }

  /** The stored JSON text `json` as an object. */
  parse(userId: string, roomId: string, type: string, ordering: number, json: string): JsonObject {
    if (json.length < ParsedContents.LARGE) return JSON.parse(json) as JsonObject;
    const key = ParsedContents.key(userId, roomId, type, ordering);
    let content = this.byKey.get(key);
    if (!content) {
      content = JSON.parse(json) as JsonObject;
      this.remember(userId, roomId, type, ordering, json.length, content);
    }
    return content;
  }
}

/** Types the server manages itself ("405 M_BAD_JSON" in the spec). */
const SERVER_MANAGED: ReadonlySet<string> = new Set(['m.fully_read', 'm.push_rules']);
const MAX_TYPE_LENGTH = 255;

/** What an account-data write tells the rest of the app, given at construction. */
export interface AccountDataListeners {
  /** After one of the user's ignore lists changed (invite rejection, …). */
  ignoreListChanged?: (userId: string) => Promise<void>;
}

export class AccountDataService {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    /** The app's loaded ignore views (a write builds the new one) and parsed large contents. */
    private readonly caches: { readonly ignoreViews: IgnoreViews; readonly accountData: ParsedContents },
    private readonly listeners: AccountDataListeners = {},
  ) {}

  private check(r: Requester, userId: string, type: string, roomId: string): void {
    if (userId !== r.userId) throw forbidden("Cannot access another user's account data");
    if (type.length === 0 || type.length > MAX_TYPE_LENGTH) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid account data type');
    if (roomId !== '' && !isRoomId(roomId)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid room ID');
  }

  async put(r: Requester, userId: string, roomId: string, type: string, content: JsonObject): Promise<void> {
    this.check(r, userId, type, roomId);
    if (SERVER_MANAGED.has(type)) throw new MatrixError(405, ErrCode.BAD_JSON, `${type} is managed by the server`);
    // An ignore list is parsed once, here: the new view is built from this parse (the policy keeps it).
    const list = roomId === '' && IGNORE_LIST_TYPES.has(type);
    const parsed = list ? validateIgnoreListWrite(userId, type, content) : undefined;
    const json = JSON.stringify(content);
    const { before, pos } = await this.db.transaction().execute(async (tx) => {
      const before = list ? await accountDataStore.newestOrdering(tx, userId, '', [...IGNORE_LIST_TYPES]) : 0;
      const p = await streamStore.next(tx);
      await accountDataStore.put(tx, userId, roomId, type, json, p);
      return { before, pos: p };
    });
    if (list) this.caches.ignoreViews.noteWrite(userId, type, parsed, before, pos, this.notifier.shared());
    this.caches.accountData.remember(userId, roomId, type, pos, json.length, content);
    this.notifier.notify({ stream: pos }, { users: [userId] });
    if (list && this.listeners.ignoreListChanged) await this.listeners.ignoreListChanged(userId);
  }

  async get(r: Requester, userId: string, roomId: string, type: string): Promise<JsonObject> {
    this.check(r, userId, type, roomId);
    const row = await accountDataStore.get(this.db, userId, roomId, type);
    if (row === undefined) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Account data not found');
    return JSON.parse(row.content) as JsonObject;
  }
}
