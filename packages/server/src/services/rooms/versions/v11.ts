// Room version 11: the create event's sender is the creator (`content.creator` no longer needed),
// `redacts` moves into the redaction's content, and the redaction algorithm keeps more (the whole
// create content, `invite` in power levels, `signed` third-party invites, `redacts`) and drops the
// top-level `origin`, `membership` and `prev_state`.

import type { RoomVersion } from './descriptor.ts';
import { V10 } from './v8.ts';

export const V11: RoomVersion = { ...V10, id: '11', family: 'v11', redaction: 'v11', creatorInContent: false, redactsInContent: true };
