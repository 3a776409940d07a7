// The end-to-end encryption streams of /sync: `device_lists` (changed/left), the requesting device's
// one-time key counts and unused fallback key types (computed in ../device-lists.ts, which
// /keys/changes shares).

import { e2eSyncSection, type E2eSyncSection } from '../device-lists.ts';
import type { Section, SyncContext } from '../context.ts';

export async function deviceListsStream(ctx: SyncContext): Promise<Section<E2eSyncSection>> {
  const section = await e2eSyncSection(ctx.tx, ctx.r, ctx.since?.stream, ctx.position.stream);
  return { section, hasData: section.device_lists.changed.length > 0 || section.device_lists.left.length > 0 };
}
