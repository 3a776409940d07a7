// The `to_device` section of /sync: a device's send-to-device messages, oldest first, at most
// TO_DEVICE_LIMIT a response. A sync with a `since` token acknowledges (deletes) what that token
// says was sent ("deleted once the client has received them"). Messages from users the recipient
// ignores are never delivered and are deleted with the rest (docs/decisions/0009-to-device-ignore.md).

import type { ToDeviceEvent } from '@hush/protocol';
import { toDeviceStore } from '../../../storage/to-device.store.ts';
import { shownFrom } from '../../../policy/shown.ts';
import type { Section, SyncContext } from '../context.ts';

export const TO_DEVICE_LIMIT = 100;

export interface ToDeviceSection {
  events: ToDeviceEvent[];
  /** How far this response went: `upTo`, or the last message read when more are waiting. */
  position: number;
}

/** The section, with the position it reached (this stream's own: below the response's when more
 *  are waiting, which also makes the response one to answer at once). */
export async function toDeviceStream(ctx: SyncContext): Promise<Section<ToDeviceSection>> {
  const section = await read(ctx);
  return { section, hasData: section.events.length > 0 || section.position < ctx.position.stream };
}

async function read({ tx, r, since, position, ignore }: SyncContext): Promise<ToDeviceSection> {
  const { userId, deviceId } = r;
  const acknowledged = since?.toDevice;
  const upTo = position.stream;
  if (acknowledged !== undefined) await toDeviceStore.acknowledge(tx, userId, deviceId, acknowledged);
  // Hidden messages take no room in a response, so a flood from an ignored user never makes one
  // that carries nothing (an empty answer would show the flood through the timing of a /sync).
  const events: ToDeviceEvent[] = [];
  let after = acknowledged ?? 0;
  for (;;) {
    const rows = await toDeviceStore.pending(tx, userId, deviceId, after, upTo, TO_DEVICE_LIMIT);
    for (const r of shownFrom(ignore, rows, (row) => row.sender)) {
      events.push({ sender: r.sender, type: r.type, content: JSON.parse(r.content) as ToDeviceEvent['content'] });
      if (events.length === TO_DEVICE_LIMIT) return { events, position: r.stream_ordering };
    }
    const last = rows.at(-1);
    if (rows.length < TO_DEVICE_LIMIT || !last) return { events, position: upTo };
    after = last.stream_ordering;
  }
}
