// Account data, global and per room (spec "Client Config"): only the owner reads or writes it;
// ignore lists are validated by the policy before anything is stored; every write wakes the
// owner's waiting syncs so that they "immediately start ignoring".

import { ErrCode, MatrixError, forbidden, isRoomId, type JsonObject } from '@hush/spec';
import type { Db } from '../storage/db.ts';
import { accountDataStore } from '../storage/account-data.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { Requester } from '../http/auth.ts';
import { IGNORE_LIST_TYPES, validateIgnoreListWrite } from '../policy/ignore-lists.ts';

/** Types the server manages itself ("405 M_BAD_JSON" in the spec). */
const SERVER_MANAGED = new Set(['m.fully_read', 'm.push_rules']);
const MAX_TYPE_LENGTH = 255;

export class AccountDataService {
  /** Called after one of the user's ignore lists changed (invite rejection, …). */
  onIgnoreListChanged: ((userId: string) => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
  ) {}

  private check(r: Requester, userId: string, type: string, roomId: string): void {
    if (userId !== r.userId) throw forbidden("Cannot access another user's account data");
    if (type.length === 0 || type.length > MAX_TYPE_LENGTH) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid account data type');
    if (roomId !== '' && !isRoomId(roomId)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid room ID');
  }

  async put(r: Requester, userId: string, roomId: string, type: string, content: JsonObject): Promise<void> {
    this.check(r, userId, type, roomId);
    if (SERVER_MANAGED.has(type)) throw new MatrixError(405, ErrCode.BAD_JSON, `${type} is managed by the server`);
    if (roomId === '') validateIgnoreListWrite(userId, type, content);
    const json = JSON.stringify(content);
    const pos = await this.db.transaction().execute(async (tx) => {
      const p = await streamStore.next(tx);
      await accountDataStore.put(tx, userId, roomId, type, json, p);
      return p;
    });
    this.notifier.notify({ stream: pos }, { users: [userId] });
    if (roomId === '' && IGNORE_LIST_TYPES.has(type) && this.onIgnoreListChanged) await this.onIgnoreListChanged(userId);
  }

  async get(r: Requester, userId: string, roomId: string, type: string): Promise<JsonObject> {
    this.check(r, userId, type, roomId);
    const row = await accountDataStore.get(this.db, userId, roomId, type);
    if (row === undefined) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Account data not found');
    return JSON.parse(row.content) as JsonObject;
  }
}
