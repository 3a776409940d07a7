// What another server may send into or read from a room (decision 0030): the room's
// m.room.server_acl (deny/allow globs on the server name without its port, IP literals) applies to
// everything it sends or asks, and reads need the server to have (had) a joined member; each event
// is then shown by the history visibility for servers (world_readable and shared: any such server;
// invited: a member of the server invited or joined at the event; joined: joined at the event).
// Events it may not see are given redacted; so is an event whose state we do not know (backfilled).

import { forbidden, serverNameOf, type JsonObject, type Pdu, type UserId } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { eventStateStore } from '../../storage/event-state.store.ts';
import { eventsStore } from '../../storage/events.store.ts';
import { stateStore, type StateRef } from '../../storage/state.store.ts';
import { parsePdu } from '../../services/events/format.ts';
import { redactEvent } from '../../services/events/crypto.ts';

/** The host of a server name: without its port, IPv6 brackets kept. */
function hostOf(serverName: string): string {
  if (serverName.startsWith('[')) return serverName.slice(0, serverName.indexOf(']') + 1);
  const colon = serverName.lastIndexOf(':');
  return colon === -1 ? serverName : serverName.slice(0, colon);
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** A server ACL glob (`*` any run, `?` one character) as an anchored, case-insensitive RegExp. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether `content` (an m.room.server_acl) lets `serverName` take part ("Server Access Control Lists"). */
export function aclAllows(content: JsonObject, serverName: string): boolean {
  const host = hostOf(serverName);
  if (isIpLiteral(host) && content['allow_ip_literals'] === false) return false;
  const globs = (v: unknown) => (Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string' && g.length <= 255).slice(0, 1000) : []);
  if (globs(content['deny']).some((g) => globRegExp(g).test(host))) return false;
  return globs(content['allow']).some((g) => globRegExp(g).test(host));
}

export class ServerAccess {
  constructor(private readonly db: Db) {}

  /** 403 M_FORBIDDEN when the room's server ACL denies `origin`. */
  async checkAcl(roomId: string, origin: string): Promise<void> {
    const id = await stateStore.currentStateEventId(this.db, roomId, 'm.room.server_acl', '');
    if (!id) return;
    const row = await eventsStore.byId(this.db, id);
    if (!row) return;
    if (!aclAllows(parsePdu(row).content, origin)) throw forbidden(`Server ${origin.slice(0, 255)} is denied by the room's server ACL`);
  }

  /** Whether any user of `server` has ever been joined to the room. */
  async everJoined(roomId: string, server: string): Promise<boolean> {
    const rows = await this.db
      .selectFrom('state_events')
      .select('state_key')
      .distinct()
      .where('room_id', '=', roomId)
      .where('type', '=', 'm.room.member')
      .where('value', '=', 'join')
      .execute();
    return rows.some((r) => serverOf(r.state_key) === server);
  }

  /** ACL, then "has (had) a member": 403 M_FORBIDDEN otherwise. */
  async checkRoomRead(roomId: string, origin: string): Promise<void> {
    await this.checkAcl(roomId, origin);
    if (!(await this.everJoined(roomId, origin))) throw forbidden(`Server ${origin.slice(0, 255)} has no member in this room`);
  }

  /** Whether `server` may see the event (history visibility for servers, at the event). An event
   *  whose state is not known here (backfilled, decision 0037) is not: it is served redacted. */
  async canSee(eventId: string, server: string): Promise<boolean> {
    const at = await eventStateStore.stateAtEvent(this.db, eventId);
    if (!at?.state) return false;
    return this.visibleIn(at.state, server);
  }

  private async visibleIn(state: readonly StateRef[], server: string): Promise<boolean> {
    const hv = state.find((r) => r.type === 'm.room.history_visibility' && r.stateKey === '');
    let visibility = 'shared';
    const ids = [...(hv ? [hv.eventId] : []), ...state.filter((r) => r.type === 'm.room.member' && serverOf(r.stateKey) === server).map((r) => r.eventId)];
    const rows = await eventsStore.byIds(this.db, ids);
    const memberships: string[] = [];
    for (const row of rows) {
      const pdu = parsePdu(row);
      if (row.type === 'm.room.history_visibility') {
        const v = pdu.content['history_visibility'];
        if (typeof v === 'string') visibility = v;
      } else if (typeof pdu.content['membership'] === 'string') memberships.push(pdu.content['membership']);
    }
    if (visibility === 'world_readable' || visibility === 'shared') return true;
    if (visibility === 'invited') return memberships.some((m) => m === 'join' || m === 'invite');
    return memberships.includes('join');
  }

  /** The PDU as `server` may have it: whole when visible, redacted otherwise. */
  async shown(pdu: Pdu, eventId: string, roomVersion: string, server: string): Promise<Pdu> {
    return (await this.canSee(eventId, server)) ? pdu : redactEvent(pdu, roomVersion);
  }
}

function serverOf(userId: string): string | undefined {
  try {
    return serverNameOf(userId as UserId);
  } catch {
    return undefined;
  }
}
