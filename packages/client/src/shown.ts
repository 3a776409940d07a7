// What a viewer is shown of the events a room holds, derived through @hush/protocol's ignore verdicts:
// ignored senders' non-state events (messages, reactions, edits, thread replies) left out, and
// thread summaries recounted without their contributions ("Ignoring Users", client behaviour).

import { hidesEvent, type ClientEvent, type IgnoreView } from '@hush/protocol';

type Json = Record<string, unknown>;

interface ThreadSummary {
  latest_event?: ClientEvent;
  count?: number;
  current_user_participated?: boolean;
}

function relatesTo(ev: ClientEvent): { rel_type?: unknown; event_id?: unknown } | undefined {
  const rel = ev.content['m.relates_to'];
  return rel && typeof rel === 'object' && !Array.isArray(rel) ? (rel as { rel_type?: unknown; event_id?: unknown }) : undefined;
}

const hidden = (view: IgnoreView, e: { sender: string; state_key?: string | undefined }) => hidesEvent(view, { sender: e.sender, state_key: e.state_key ?? null });

/** The thread summary of `root` as this viewer should see it: the server's count, plus replies held
 *  that are newer than its latest event, minus every known reply by a hidden sender; the latest
 *  event the newest shown reply known. Undefined when nothing shown is left to name. */
function shownSummary(thread: ThreadSummary, replies: readonly ClientEvent[], view: IgnoreView): ThreadSummary | undefined {
  const latest = thread.latest_event;
  const latestTs = latest?.origin_server_ts ?? -Infinity;
  const counted = new Map<string, ClientEvent>();
  const newer: ClientEvent[] = [];
  for (const r of replies) {
    if (r.event_id === latest?.event_id || r.origin_server_ts <= latestTs) counted.set(r.event_id, r);
    else newer.push(r);
  }
  if (latest) counted.set(latest.event_id, latest);
  const hiddenCounted = [...counted.values()].filter((r) => hidden(view, r)).length;
  const newerShown = newer.filter((r) => !hidden(view, r));
  if (hiddenCounted === 0 && newer.length === 0) return thread;
  const count = (thread.count ?? counted.size) - hiddenCounted + newerShown.length;
  const shownKnown = [...counted.values(), ...newerShown].filter((r) => !hidden(view, r)).sort((a, b) => a.origin_server_ts - b.origin_server_ts);
  const newest = shownKnown.at(-1);
  if (count <= 0 || newest === undefined) return undefined;
  return { ...thread, latest_event: newest, count };
}

/** The events a viewer sees, oldest first. */
export function shownTimeline(events: readonly ClientEvent[], view: IgnoreView): ClientEvent[] {
  const repliesByRoot = new Map<string, ClientEvent[]>();
  for (const e of events) {
    const rel = relatesTo(e);
    if (rel?.rel_type === 'm.thread' && typeof rel.event_id === 'string') repliesByRoot.set(rel.event_id, [...(repliesByRoot.get(rel.event_id) ?? []), e]);
  }
  return events
    .filter((e) => !hidden(view, e))
    .map((e) => {
      const relations = e.unsigned?.['m.relations'] as Json | undefined;
      const thread = relations?.['m.thread'] as ThreadSummary | undefined;
      const replies = repliesByRoot.get(e.event_id) ?? [];
      if (!thread) return e;
      const summary = shownSummary(thread, replies, view);
      if (summary === thread) return e;
      const next = { ...relations };
      if (summary === undefined) delete next['m.thread'];
      else next['m.thread'] = summary as unknown as Json;
      return { ...e, unsigned: { ...e.unsigned, 'm.relations': next } } as ClientEvent;
    });
}
