// Hush's own endpoints (unstable prefix `org.hush`), documented in docs/api/hidden-invites.md.

import { endpoint, responds } from '../endpoint.ts';

export interface HiddenInvite {
  room_id: string;
  inviter: string;
  /** Which list hid it: `m.ignored_user_list`, `m.ignored_room_list / m.ignored_invites ignored_room_ids`, … */
  rule: string;
  /** When the invite was sent (ms since the epoch). */
  ts: number;
  /** Stripped state of the room, as /sync would have shown it. */
  invite_state: { events: { type: string; state_key: string; sender: string; content: Record<string, unknown> }[] };
}

export const getHiddenInvites = endpoint({
  operationId: 'getHiddenInvites',
  method: 'GET',
  path: '/_matrix/client/unstable/org.hush/hidden_invites',
  auth: 'required',
  response: responds<{ invites: HiddenInvite[] }>(),
});
