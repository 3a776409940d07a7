// PUT /send/{txnId} on the receiving side (server-server API "Transactions", decisions 0030, 0040):
// one transaction per origin at a time — a sender sends one at a time, so a second one while the
// first is applied is refused 429 M_LIMIT_EXCEEDED (a server flooding /send slows only itself) and
// a repeat of the one in flight waits for its answer; a transaction already received gets the
// answer it got then; each PDU goes through the acceptor (its result, or an error
// string, under its event id); each EDU is checked (its user belongs to the origin, the origin is
// not denied by the room's ACL, the user is joined) and routed to typing, receipts, presence,
// to-device or — m.device_list_update, m.signing_key_update (decision 0032) — the e2e keys service,
// which marks the user's device list changed for our users sharing a room with them (their keys are
// asked of their server when a client queries them). EDUs that fail a check are dropped silently,
// as the spec has no answer for them.

import { ErrCode, forbidden, isRoomId, MatrixError, isUserId, serverNameOf, type federation, type JsonObject, type PresenceState, type UserId } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { federationInboundStore } from '../../storage/federation-inbound.store.ts';
import type { TypingService } from '../../services/typing.ts';
import type { ReceiptService } from '../../services/receipts.ts';
import type { PresenceService } from '../../services/presence.ts';
import type { ToDeviceService } from '../../services/to-device.ts';
import type { E2eKeysService } from '../../services/e2e/keys.ts';
import type { RemotePduAcceptor } from './accept.ts';
import type { ServerAccess } from './access.ts';

export interface EduSinks {
  typing: TypingService;
  receipts: ReceiptService;
  presence: PresenceService;
  toDevice: ToDeviceService;
  e2eKeys: E2eKeysService;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const PRESENCE: readonly string[] = ['online', 'offline', 'unavailable'];
/** Receipts and presence updates taken from one EDU. */
const MAX_ITEMS_PER_EDU = 100;
/** What a refused concurrent transaction is told to wait: about one transaction's work. */
const BUSY_RETRY_MS = 500;

export class TransactionReceiver {
  /** Per origin, the transaction being applied. */
  private readonly inFlight = new Map<string, { txnId: string; run: Promise<federation.SendTransactionResponse> }>();
  readonly stats = { transactions: 0, retries: 0, pdus: 0, edus: 0, edusDropped: 0, busy: 0 };

  constructor(
    private readonly db: Db,
    private readonly acceptor: RemotePduAcceptor,
    private readonly access: ServerAccess,
    private readonly sinks: EduSinks,
    private readonly now: () => number = Date.now,
  ) {}

  /** Applies one transaction of `origin`; 429 while another of its transactions is applied. */
  receive(origin: string, txnId: string, body: { origin: string; pdus: unknown[]; edus?: unknown[] }): Promise<federation.SendTransactionResponse> {
    if (body.origin !== origin) throw forbidden('The transaction origin is not the server that signed the request');
    const busy = this.inFlight.get(origin);
    if (busy !== undefined) {
      if (busy.txnId === txnId) return busy.run; // the sender gave up waiting and sent it again
      this.stats.busy++;
      throw new MatrixError(429, ErrCode.LIMIT_EXCEEDED, 'Another transaction of this server is being applied: send one at a time', { retry_after_ms: BUSY_RETRY_MS });
    }
    const run = this.apply(origin, txnId, body);
    const entry = { txnId, run };
    this.inFlight.set(origin, entry);
    const done = () => {
      if (this.inFlight.get(origin) === entry) this.inFlight.delete(origin);
    };
    run.then(done, done);
    return run;
  }

  private async apply(origin: string, txnId: string, body: { pdus: unknown[]; edus?: unknown[] }): Promise<federation.SendTransactionResponse> {
    const seen = await federationInboundStore.txnResponse(this.db, origin, txnId);
    if (seen !== undefined) {
      this.stats.retries++;
      return JSON.parse(seen) as federation.SendTransactionResponse;
    }
    this.stats.transactions++;
    const pdus: Record<string, { error?: string }> = {};
    for (const raw of body.pdus) {
      this.stats.pdus++;
      const roomId = isObject(raw) ? raw['room_id'] : undefined;
      if (typeof roomId === 'string' && isRoomId(roomId)) {
        try {
          await this.access.checkAcl(roomId, origin);
        } catch (err) {
          const id = await this.acceptor.eventIdOf(raw);
          if (id !== undefined) pdus[id] = { error: (err as Error).message };
          continue;
        }
      }
      const res = await this.acceptor.accept(origin, raw);
      if (res.eventId === undefined) continue; // nothing to name it by
      pdus[res.eventId] = res.outcome === 'rejected' ? { error: res.reason.slice(0, 500) } : {};
    }
    for (const edu of body.edus ?? []) {
      this.stats.edus++;
      const ok = await this.routeEdu(origin, edu).catch(() => false);
      if (!ok) this.stats.edusDropped++;
    }
    const response = { pdus };
    await federationInboundStore.recordTxn(this.db, origin, txnId, JSON.stringify(response), this.now());
    return response;
  }

  private fromOrigin(userId: unknown, origin: string): userId is UserId {
    return typeof userId === 'string' && isUserId(userId) && serverNameOf(userId) === origin;
  }

  private async aclOk(roomId: unknown, origin: string): Promise<boolean> {
    if (typeof roomId !== 'string' || !isRoomId(roomId)) return false;
    try {
      await this.access.checkAcl(roomId, origin);
      return true;
    } catch {
      return false;
    }
  }

  /** True when the EDU was applied (in part at least). */
  private async routeEdu(origin: string, edu: unknown): Promise<boolean> {
    if (!isObject(edu) || typeof edu['edu_type'] !== 'string' || !isObject(edu['content'])) return false;
    const c = edu['content'];
    switch (edu['edu_type']) {
      case 'm.typing': {
        if (!this.fromOrigin(c['user_id'], origin) || typeof c['typing'] !== 'boolean' || !(await this.aclOk(c['room_id'], origin))) return false;
        const timeout = Number.isSafeInteger(c['timeout']) ? (c['timeout'] as number) : 30_000;
        return this.sinks.typing.setRemote(c['room_id'] as string, c['user_id'], c['typing'], timeout);
      }
      case 'm.receipt': {
        let applied = false;
        let budget = MAX_ITEMS_PER_EDU;
        for (const [roomId, byType] of Object.entries(c)) {
          if (!isObject(byType) || !(await this.aclOk(roomId, origin))) continue;
          const reads = byType['m.read'];
          if (!isObject(reads)) continue;
          for (const [userId, receipt] of Object.entries(reads)) {
            if (budget-- <= 0) return applied;
            if (!this.fromOrigin(userId, origin) || !isObject(receipt) || !Array.isArray(receipt['event_ids'])) continue;
            const data = isObject(receipt['data']) ? receipt['data'] : {};
            const thread = typeof data['thread_id'] === 'string' && data['thread_id'].length <= 255 ? data['thread_id'] : undefined;
            const eventId = receipt['event_ids'].find((e): e is string => typeof e === 'string' && e.length <= 255);
            if (eventId !== undefined && (await this.sinks.receipts.putRemote(roomId, 'm.read', userId, eventId, thread))) applied = true;
          }
        }
        return applied;
      }
      case 'm.presence': {
        const push = Array.isArray(c['push']) ? c['push'].slice(0, MAX_ITEMS_PER_EDU) : [];
        let applied = false;
        for (const p of push) {
          if (!isObject(p) || !this.fromOrigin(p['user_id'], origin) || typeof p['presence'] !== 'string' || !PRESENCE.includes(p['presence'])) continue;
          const msg = typeof p['status_msg'] === 'string' ? p['status_msg'].slice(0, 1000) : null;
          const ago = Number.isSafeInteger(p['last_active_ago']) ? (p['last_active_ago'] as number) : 0;
          await this.sinks.presence.setRemote(p['user_id'], p['presence'] as PresenceState, msg, ago);
          applied = true;
        }
        return applied;
      }
      case 'm.direct_to_device': {
        const { sender, type, message_id: messageId, messages } = c;
        if (!this.fromOrigin(sender, origin) || typeof type !== 'string' || type.length > 255 || typeof messageId !== 'string' || messageId.length > 255 || !isObject(messages)) return false;
        const clean: Record<string, Record<string, JsonObject>> = {};
        for (const [userId, byDevice] of Object.entries(messages)) {
          if (!isObject(byDevice)) continue;
          clean[userId] = Object.fromEntries(Object.entries(byDevice).filter(([d, body]) => d.length <= 255 && isObject(body))) as Record<string, JsonObject>;
        }
        await this.sinks.toDevice.receiveRemote(origin, sender, type, messageId, clean);
        return true;
      }
      case 'm.device_list_update': {
        if (!this.fromOrigin(c['user_id'], origin) || typeof c['device_id'] !== 'string' || c['device_id'].length > 255) return false;
        return this.sinks.e2eKeys.remoteDeviceListChanged(c['user_id']);
      }
      case 'm.signing_key_update': {
        if (!this.fromOrigin(c['user_id'], origin)) return false;
        return this.sinks.e2eKeys.remoteDeviceListChanged(c['user_id']);
      }
      default:
        return false;
    }
  }
}
