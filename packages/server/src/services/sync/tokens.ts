// Opaque, versioned stream tokens. A sync token `h1_<stream>_<typing>` names a position in the
// shared stream and this process's typing serial; a pagination token `t<stream>` names a point
// between events (everything at or before <stream> lies behind it). Both survive a restart: the
// stream positions are stored; the typing serial restarts and is clamped.

import { ErrCode, MatrixError } from '@hush/spec';
import type { Position } from '../../notifier/notifier.ts';

export function syncToken(p: Position): string {
  return `h1_${p.stream}_${p.typing}`;
}

function bad(what: string): MatrixError {
  return new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid ${what} token`);
}

export function parseSyncToken(s: string): Position {
  const m = /^h1_([0-9]{1,15})_([0-9]{1,15})$/.exec(s);
  if (!m) throw bad('sync');
  return { stream: Number(m[1]), typing: Number(m[2]) };
}

export function pageToken(stream: number): string {
  return `t${stream}`;
}

/** A pagination token, or a sync token (clients paginate from next_batch / prev_batch). */
export function parsePageToken(s: string): number {
  const m = /^t([0-9]{1,15})$/.exec(s);
  if (m) return Number(m[1]);
  if (s.startsWith('h1_')) return parseSyncToken(s).stream;
  throw bad('pagination');
}
