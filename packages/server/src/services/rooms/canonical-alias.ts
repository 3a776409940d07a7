// The check PUT state m.room.canonical_alias asks of a server (client-server API, room_state.yaml):
// "servers SHOULD ensure that any new aliases being listed in the event are valid per their
// grammar/syntax and that they point to the room ID where the state event is to be sent. Servers
// do not validate aliases which are being removed or are already present in the state event."

import { ErrCode, MatrixError, invalidParam, isRoomAlias, type JsonObject, type JsonValue } from '@hush/protocol';
import type { Tx } from '../../storage/db.ts';
import { roomsStore } from '../../storage/rooms.store.ts';

/** The aliases a canonical-alias content lists: `alias` (null or "" is none) and `alt_aliases`.
 *  Values of the wrong type are listed as they are, to be refused as invalid syntax. */
function listed(content: JsonObject | undefined): JsonValue[] {
  if (!content) return [];
  const out: JsonValue[] = [];
  const alias = content['alias'];
  if (alias !== undefined && alias !== null && alias !== '') out.push(alias);
  const alt = content['alt_aliases'];
  if (Array.isArray(alt)) out.push(...alt);
  return out;
}

/** 400 M_INVALID_PARAM for a new alias that is not one, 400 M_BAD_ALIAS for one that does not point
 *  at `roomId` (unknown, or another room's). Removing aliases (content `{}`) always passes. */
export async function checkNewAliases(tx: Tx, roomId: string, content: JsonObject, current: JsonObject | undefined): Promise<void> {
  const alt = content['alt_aliases'];
  if (alt !== undefined && alt !== null && !Array.isArray(alt)) throw invalidParam('alt_aliases in m.room.canonical_alias must be a list of room aliases');
  const present = new Set(listed(current).filter((a) => typeof a === 'string'));
  for (const alias of listed(content)) {
    if (typeof alias === 'string' && present.has(alias)) continue;
    if (!isRoomAlias(alias)) throw invalidParam(`Invalid room alias in m.room.canonical_alias: ${JSON.stringify(alias).slice(0, 80)}`);
    const found = await roomsStore.getAlias(tx, alias);
    if (found?.roomId !== roomId) throw new MatrixError(400, ErrCode.BAD_ALIAS, `The alias ${alias} does not point to this room`);
  }
}
