// Opaque, versioned stream tokens. A sync token `h1_<stream>_<typing>[_<toDevice>]` names a position
// in the shared stream and the typing number (one count for every process, kept in the database),
// and, after a response that carried send-to-device messages, how far they went (the next sync
// acknowledges them; when more are waiting it is below <stream>); a pagination token `t<stream>`
// names a point between events (everything at or before <stream> lies behind it). Both survive a
// restart and mean the same on every process sharing the database.

import { ErrCode, MatrixError } from '@hush/protocol';
import type { Position } from '../../notifier/notifier.ts';

/** A sync position: the notifier's, plus how far the device's send-to-device messages went and
 *  whether the response carried some (then the token's next use must acknowledge them). */
export interface SyncPosition extends Position {
  toDevice: number;
  toDeviceSent: boolean;
}

export function syncToken(p: SyncPosition): string {
  return p.toDeviceSent || p.toDevice < p.stream ? `h1_${p.stream}_${p.typing}_${p.toDevice}` : `h1_${p.stream}_${p.typing}`;
}

function bad(what: string): MatrixError {
  return new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid ${what} token`);
}

export function parseSyncToken(s: string): SyncPosition {
  const m = /^h1_([0-9]{1,15})_([0-9]{1,15})(?:_([0-9]{1,15}))?$/.exec(s);
  if (!m) throw bad('sync');
  const stream = Number(m[1]);
  return { stream, typing: Number(m[2]), toDevice: m[3] === undefined ? stream : Math.min(stream, Number(m[3])), toDeviceSent: m[3] !== undefined };
}

export function pageToken(stream: number): string {
  return `t${stream}`;
}

/** A pagination token, or a sync token (clients paginate from next_batch / prev_batch). */
export function parsePageToken(s: string): number {
  const m = /^t(-?[0-9]{1,15})$/.exec(s);
  if (m) return Number(m[1]);
  if (s.startsWith('h1_')) return parseSyncToken(s).stream;
  throw bad('pagination');
}
