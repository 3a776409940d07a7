// The `to_device` section of /sync: a device's send-to-device messages, oldest first, at most
// TO_DEVICE_LIMIT a response. A sync with a `since` token acknowledges (deletes) what that token
// says was sent ("deleted once the client has received them"). Messages from users the recipient
// ignores are never delivered and are deleted with the rest (docs/decisions/0009-to-device-ignore.md).

import type { ToDeviceEvent } from '@hush/spec';
import type { Tx } from '../../storage/db.ts';
import { toDeviceStore } from '../../storage/to-device.store.ts';
import { hidesUser, type IgnoreView } from '../../policy/ignore.ts';

export const TO_DEVICE_LIMIT = 100;

export interface ToDeviceSection {
  events: ToDeviceEvent[];
  /** How far this response went: `upTo`, or the last message read when more are waiting. */
  position: number;
}

export async function toDeviceSection(tx: Tx, userId: string, deviceId: string, acknowledged: number | undefined, upTo: number, ignore: IgnoreView): Promise<ToDeviceSection> {
  if (acknowledged !== undefined) await toDeviceStore.acknowledge(tx, userId, deviceId, acknowledged);
  const rows = await toDeviceStore.pending(tx, userId, deviceId, acknowledged ?? 0, upTo, TO_DEVICE_LIMIT);
  const last = rows.at(-1);
  return {
    events: rows.filter((r) => !hidesUser(ignore, r.sender)).map((r) => ({ sender: r.sender, type: r.type, content: JSON.parse(r.content) as ToDeviceEvent['content'] })),
    position: rows.length === TO_DEVICE_LIMIT && last ? last.stream_ordering : upTo,
  };
}
