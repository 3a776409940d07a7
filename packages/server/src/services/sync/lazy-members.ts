// Lazy-loaded members (filter `lazy_load_members`): which membership events each device was already
// sent, so an incremental /sync leaves out the ones it has ("include_redundant_members … false by
// default"). Each record carries the stream position of the response that sent it, and a sync only
// trusts records of responses its `since` token comes after: a client retrying with an older token
// is sent them again. Memory only, one per app instance, bounded: a device it forgot is sent its
// members again (redundant, never missing).

import { Lru } from '../../lib/lru.ts';

const MAX_DEVICES = 10_000;

export class SentMembers {
  /** `user \0 device` → `room \0 member` → the member event sent and the position it went out at. */
  private readonly byDevice = new Lru<string, Map<string, { eventId: string; at: number }>>(MAX_DEVICES);

  private device(userId: string, deviceId: string, create: boolean): Map<string, { eventId: string; at: number }> | undefined {
    const key = `${userId}\u0000${deviceId}`;
    // A hit is the most recently used now: the least recently used device goes first when full.
    let sent = this.byDevice.get(key);
    if (!sent && create) this.byDevice.set(key, (sent = new Map()));
    return sent;
  }

  /** Whether the device holds `eventId` as `member`'s membership in `roomId`, as of position `since`. */
  has(userId: string, deviceId: string, roomId: string, member: string, eventId: string, since: number): boolean {
    const rec = this.device(userId, deviceId, false)?.get(`${roomId}\u0000${member}`);
    return rec !== undefined && rec.eventId === eventId && rec.at <= since;
  }

  /** Whether the device was sent any membership of `member` in `roomId`, as of position `since`. */
  knows(userId: string, deviceId: string, roomId: string, member: string, since: number): boolean {
    const rec = this.device(userId, deviceId, false)?.get(`${roomId}\u0000${member}`);
    return rec !== undefined && rec.at <= since;
  }

  /** Member events sent to the device in a response at position `at`. */
  record(userId: string, deviceId: string, roomId: string, events: readonly { event_id: string; type: string; state_key?: string | null }[], at: number): void {
    const sent = this.device(userId, deviceId, true)!;
    for (const e of events) if (e.type === 'm.room.member' && typeof e.state_key === 'string') sent.set(`${roomId}\u0000${e.state_key}`, { eventId: e.event_id, at });
  }
}
