// Read receipts and read markers (spec "Receipts", "Fully read markers").

import { ErrCode, MatrixError, forbidden, notFound, api, type RoomId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { eventsStore } from '../storage/events.store.ts';
import { receiptsStore } from '../storage/receipts.store.ts';
import { stateStore } from '../storage/state.store.ts';
import { streamStore } from '../storage/stream.store.ts';
import { accountDataStore } from '../storage/account-data.store.ts';
import type { Notifier } from '../notifier/notifier.ts';
import type { Requester } from './requester.ts';
import type { OutboundHooks } from './outbound-hooks.ts';


export class ReceiptService {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    /** The app's outbound federation hooks (`receipt`: a local user's public receipt, after commit). */
    private readonly outbound: OutboundHooks = {},
  ) {}

  private async checkTarget(r: Requester, roomId: string, eventId: string): Promise<void> {
    const m = await stateStore.membership(this.db, roomId, r.userId);
    if (m?.membership !== 'join') throw forbidden('You are not in this room');
    const ev = await eventsStore.byId(this.db, eventId);
    if (!ev || ev.room_id !== roomId) throw notFound('Event not found');
  }

  async postReceipt(r: Requester, roomId: RoomId, type: string, eventId: string, threadId?: string): Promise<void> {
    if (!(api.RECEIPT_TYPES as readonly string[]).includes(type)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Unknown receipt type ${type}`);
    await this.checkTarget(r, roomId, eventId);
    if (type === 'm.fully_read') {
      await this.setFullyRead(roomId, r.userId, eventId);
      return;
    }
    const ts = Date.now();
    const pos = await this.db.transaction().execute(async (tx) => {
      const p = await streamStore.next(tx);
      await receiptsStore.put(tx, { room_id: roomId, receipt_type: type, user_id: r.userId, thread_id: threadId ?? '', event_id: eventId, ts, stream_ordering: p });
      return p;
    });
    // Private receipts are only ever shown to their owner.
    this.notifier.notify({ stream: pos }, type === 'm.read.private' ? { users: [r.userId] } : { rooms: [roomId], users: [r.userId] });
    if (type !== 'm.read.private') this.outbound.receipt?.(roomId, type, r.userId, eventId, threadId, ts);
  }

  /** A receipt in an m.receipt EDU (federation/inbound): a joined remote user's public receipt on an
   *  event of the room; false (nothing stored) otherwise. */
  async putRemote(roomId: string, type: string, userId: string, eventId: string, threadId: string | undefined): Promise<boolean> {
    if (type !== 'm.read') return false;
    const m = await stateStore.membership(this.db, roomId, userId);
    if (m?.membership !== 'join') return false;
    const ev = await eventsStore.byId(this.db, eventId);
    if (!ev || ev.room_id !== roomId) return false;
    const pos = await this.db.transaction().execute(async (tx) => {
      const p = await streamStore.next(tx);
      await receiptsStore.put(tx, { room_id: roomId, receipt_type: type, user_id: userId, thread_id: threadId ?? '', event_id: eventId, ts: Date.now(), stream_ordering: p });
      return p;
    });
    this.notifier.notify({ stream: pos }, { rooms: [roomId] });
    return true;
  }

  private async setFullyRead(roomId: string, userId: string, eventId: string): Promise<void> {
    const pos = await this.db.transaction().execute(async (tx) => {
      const p = await streamStore.next(tx);
      await accountDataStore.put(tx, userId, roomId, 'm.fully_read', JSON.stringify({ event_id: eventId }), p);
      return p;
    });
    this.notifier.notify({ stream: pos }, { users: [userId] });
  }

  async setReadMarkers(r: Requester, roomId: RoomId, body: { fullyRead?: string; read?: string; readPrivate?: string }): Promise<void> {
    if (body.fullyRead !== undefined) {
      await this.checkTarget(r, roomId, body.fullyRead);
      await this.setFullyRead(roomId, r.userId, body.fullyRead);
    }
    if (body.read !== undefined) await this.postReceipt(r, roomId, 'm.read', body.read);
    if (body.readPrivate !== undefined) await this.postReceipt(r, roomId, 'm.read.private', body.readPrivate);
  }
}
