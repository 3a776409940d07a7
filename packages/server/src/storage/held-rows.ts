// Rows written behind (SQLite, decision 0047): the event_push_actions rows and the search index
// rows of committed events, held in memory and inserted in batches, so that a send's transaction
// does not dirty a page per recipient, nor start a full-text segment of its own. Rows only, in
// commit order. push.store's readers add the push rows held here to what they read; a search
// writes the held search rows first (`flushSearch`). Each flush also stores the position up to
// which every committed event's rows are in their tables (`push_actions_flushed`): after a crash,
// the events past it are recorded again.

import type { Db, Tx } from './db.ts';
import type { EventPushActionsTable } from './schema.ts';
import { searchStore } from './search.store.ts';
import { eventsStore } from './events.store.ts';

type Row = EventPushActionsTable;
/** An event's searchable text (search.store's `searchableText`). */
interface SearchRow {
  stream_ordering: number;
  key: string;
  text: string;
}

export interface HeldRowsOptions {
  /** Flush once this many rows are held (default 5,000). */
  maxRows?: number;
  /** Flush this long after the first row arrived (default 100 ms). */
  delayMs?: number;
  /** A failed flush is retried after the delay; this hears about it. */
  onError?: (err: unknown) => void;
}

export class HeldRows {
  /** Per user, in commit order, so in stream order (one writer per SQLite database). */
  private readonly byUser = new Map<string, Row[]>();
  private held = 0;
  /** In commit order. */
  private search: SearchRow[] = [];
  /** The highest position among the push rows held. */
  private lastRow = 0;
  /** The last position whose transaction committed and handed its rows here. */
  private committedUpTo = 0;
  private flushedTo = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly maxRows: number;
  private readonly delayMs: number;

  constructor(
    private readonly db: Db,
    private readonly opts: HeldRowsOptions = {},
  ) {
    this.maxRows = opts.maxRows ?? 5_000;
    this.delayMs = opts.delayMs ?? 100;
  }

  /** The rows of a committed write, and the position of its last event (rows or not). */
  add(rows: readonly Row[], upTo: number): void {
    for (const r of rows) {
      let list = this.byUser.get(r.user_id);
      if (!list) this.byUser.set(r.user_id, (list = []));
      list.push(r);
      this.lastRow = Math.max(this.lastRow, r.stream_ordering);
    }
    this.held += rows.length;
    this.committedUpTo = Math.max(this.committedUpTo, upTo);
    this.schedule(this.held >= this.maxRows ? 0 : this.delayMs);
  }

  /** The searchable text of a committed event. */
  addSearch(row: SearchRow): void {
    this.search.push(row);
    this.committedUpTo = Math.max(this.committedUpTo, row.stream_ordering);
    this.schedule(this.held + this.search.length >= this.maxRows ? 0 : this.delayMs);
  }

  /** Writes what is held when search rows are among it: a search reads only the table. */
  async flushSearch(): Promise<void> {
    if (this.search.length > 0) await this.flush();
  }

  /** The held rows of one user (of one room, when given) after `after` and before `before`,
   *  newest first. */
  of(userId: string, roomId: string | undefined, after: number, before = Number.POSITIVE_INFINITY): Row[] {
    const list = this.byUser.get(userId);
    const out: Row[] = [];
    if (!list) return out;
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i]!;
      if (r.stream_ordering <= after) break;
      if (r.stream_ordering < before && (roomId === undefined || r.room_id === roomId)) out.push(r);
    }
    return out;
  }

  /** Rows held now (push and search). */
  get size(): number {
    return this.held + this.search.length;
  }

  /** Writes what is held now in one transaction (after a flush already running). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.held === 0 && this.search.length === 0 && this.committedUpTo === this.flushedTo) return;
    // Every row up to `through` goes: a write hands all its rows at once, so none is split.
    const through = this.lastRow;
    const upTo = this.committedUpTo;
    const taken = [...this.byUser.values()].flat().filter((r) => r.stream_ordering <= through);
    const searchTaken = this.search.length;
    const searchBatch = this.search.slice(0, searchTaken);
    const run = this.db
      .transaction()
      .execute(async (tx) => {
        // An event redacted since is not written: its redaction found nothing of it to take out.
        const orderings = [...taken.map((r) => r.stream_ordering), ...searchBatch.map((r) => r.stream_ordering)];
        const live = orderings.length > 0 ? await eventsStore.unredactedAmong(tx, orderings) : new Set<number>();
        const batch = taken.filter((r) => live.has(r.stream_ordering));
        for (let i = 0; i < batch.length; i += 1_000) {
          await tx.insertInto('event_push_actions').values(batch.slice(i, i + 1_000)).onConflict((oc) => oc.doNothing()).execute();
        }
        for (const r of searchBatch) if (live.has(r.stream_ordering)) await searchStore.insertText(tx, r.stream_ordering, r.key, r.text);
        await setFlushedUpTo(tx, upTo);
      })
      .then(() => {
        this.search = this.search.slice(searchTaken);
        // Synchronously after the commit: a reader sees each row either here or in the table.
        for (const [user, list] of this.byUser) {
          let k = 0;
          while (k < list.length && list[k]!.stream_ordering <= through) k++;
          if (k === list.length) this.byUser.delete(user);
          else list.splice(0, k);
          this.held -= k;
        }
        this.flushedTo = upTo;
      });
    this.flushing = run.finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Flushes and stops the timer (before the database is closed). */
  async stop(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => {
        this.opts.onError?.(err);
        this.schedule(this.delayMs);
      });
    }, ms);
    this.timer.unref();
  }
}

/** Where every committed event's push actions are in the table; undefined before the first flush
 *  (a database from before decision 0047 wrote them with each event). */
export async function flushedUpTo(tx: Tx | Db): Promise<number | undefined> {
  const row = await tx.selectFrom('push_actions_flushed').select('stream_ordering').where('id', '=', 1).executeTakeFirst();
  return row === undefined ? undefined : Number(row.stream_ordering);
}

export async function setFlushedUpTo(tx: Tx | Db, position: number): Promise<void> {
  await tx
    .insertInto('push_actions_flushed')
    .values({ id: 1, stream_ordering: position })
    .onConflict((oc) => oc.column('id').doUpdateSet({ stream_ordering: position }))
    .execute();
}
