// The counters every change takes its position from, and (PostgreSQL) how far the stream is
// persisted. Row 1 of `stream_counter` orders every persisted change (event, account data,
// receipt, to-device); row 2 orders typing changes.
//
// SQLite: one writer; `next` bumps row 1 inside the writing transaction and `current` reads it.
//
// PostgreSQL (decision 0028): positions are claimed, not locked until commit. A writing
// transaction learns its transaction id, then a short transaction of its own (on the process's
// claim connection, batched with the other writers waiting there) bumps row 1 and records
// "position p belongs to transaction x" in `stream_claims`. Row 1's lock is held for that one
// statement only, so writers no longer queue behind each other's whole transactions. `current` is
// the persisted-up-to position: row 1, or one less than the lowest claim whose owner is not yet
// visible in the reader's snapshot — never past a change still in flight. A reader's later
// statements see every change up to it (their snapshots are newer). Claims at or below a position
// once read are done and are deleted now and then.
//
// Writers of one `scope` take an advisory lock held to commit before their position, so among them
// positions follow commit order (what read-modify-write writers and per-key upserts rely on). The
// default scope is shared by every writer that names none — what all writers did before — and
// `null` takes no lock: events, ordered by their room's row lock.
//
// Also PostgreSQL's NOTIFY inside a transaction (delivered at its commit, in commit order).

import { PostgresAdapter, sql } from 'kysely';
import pg from 'pg';
import type { Db, Tx } from './db.ts';
import { prepared } from './prepared.ts';

const STREAM = 1;
const TYPING = 2;
/** The first key of the scope locks' advisory lock pairs (migrations use the one-key form). */
const SCOPE_LOCK_CLASS = 7311;
/** Delete claims known to be done once this many were made since the last clean-up. */
const CLEAN_EVERY = 256;
/** Tests only: after a PostgreSQL claim, wait up to this many ms at random, so that transactions
 *  commit out of position order (the multi-process stress test sets it). */
const TEST_DELAY_MS = Number(process.env['HUSH_TEST_STREAM_DELAY_MS'] ?? 0) || 0;

const CLAIM_SQL = `
WITH c AS (UPDATE stream_counter SET pos = pos + $1 WHERE id = ${STREAM} RETURNING pos),
ins AS (
  INSERT INTO stream_claims (pos, owner)
  SELECT c.pos - $1 + o.i, o.x FROM c, unnest($2::bigint[]) WITH ORDINALITY AS o(x, i)
)
SELECT (SELECT pos FROM c) AS top,
       (SELECT pos FROM stream_counter WHERE id = ${STREAM}) AS seen,
       (SELECT min(s.pos) FROM stream_claims s WHERE NOT txid_visible_in_snapshot(s.owner, txid_current_snapshot())) AS low`;

/** SQLite: bump a counter, read one (statements built once: a send and a /sync use them). */
const bumpStatement = prepared((tx, a: { id: number }) => tx.updateTable('stream_counter').set({ pos: sql`pos + 1` }).where('id', '=', a.id).returning('pos'));
const positionStatement = prepared((tx, a: { id: number }) => tx.selectFrom('stream_counter').select('pos').where('id', '=', a.id));

/** One process's claims on one PostgreSQL database: a dedicated connection (not from the pool, so
 *  a pool full of writers waiting for positions cannot starve it), claims batched while one is in
 *  flight, and what this process has learnt of the persisted-up-to position. */
export class StreamClaims {
  private readonly pool: pg.Pool;
  private queue: { owner: number; resolve(p: number): void; reject(err: unknown): void }[] = [];
  private running = false;
  private sinceClean = 0;
  /** The highest persisted-up-to position this process has seen (never past the truth). */
  settled = 0;
  /** Positions that will be persisted-up-to once their own transaction commits: when claimed,
   *  nothing before them was in flight. */
  private readonly inOrder = new Set<number>();

  constructor(url: string) {
    // A claim that is lost in a crash was not used by a committed change (that commit's flush
    // covers the claim's, written before it): the claim's own commit need not wait for the disk.
    this.pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'hush-stream', options: '-c synchronous_commit=off' });
    this.pool.on('error', () => undefined);
  }

  claim(owner: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ owner, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const k = batch.length;
        try {
          const r = await this.pool.query<{ top: string | number; seen: string | number; low: string | number | null }>(CLAIM_SQL, [k, batch.map((b) => b.owner)]);
          const row = r.rows[0];
          if (!row) throw new Error('stream claim returned no row');
          const top = Number(row.top);
          const seen = Number(row.seen);
          const low = row.low === null ? undefined : Number(row.low);
          this.note(low === undefined ? seen : low - 1);
          // Nothing before the batch was in flight (and no other claim came between): the first
          // position is persisted-up-to as soon as its transaction commits.
          if (low === undefined && seen === top - k) this.inOrder.add(top - k + 1);
          batch.forEach((b, i) => b.resolve(top - k + 1 + i));
          this.sinceClean += k;
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
        if (this.sinceClean >= CLEAN_EVERY && this.settled > 0) {
          this.sinceClean = 0;
          // Claims at or below a persisted-up-to position are done; a reader whose snapshot still
          // holds them judges them by their owner, as before.
          await this.pool.query('DELETE FROM stream_claims WHERE pos <= $1', [this.settled]).catch(() => undefined);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** A persisted-up-to position read from the database. */
  note(settled: number): void {
    if (settled <= this.settled) return;
    this.settled = settled;
    for (const p of this.inOrder) if (p <= settled) this.inOrder.delete(p);
  }

  /** Whether `p`, now committed, is known to be persisted-up-to (see `inOrder`). */
  committedInOrder(p: number): boolean {
    return this.inOrder.delete(p);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** Claims per database, by its Kysely adapter (shared by the database and its transactions). */
const claimsOf = new WeakMap<object, StreamClaims>();
/** Per writing transaction: its id, and the scopes it holds. */
const writers = new WeakMap<object, { owner: number; scopes: Set<string> }>();

const isPostgres = (tx: Tx) => tx.getExecutor().adapter instanceof PostgresAdapter;

export const streamStore = {
  /** PostgreSQL: positions for writers on `db` are claimed over their own connection to `url`.
   *  Without it, `next` locks row 1 until commit (correct, and serialises every writer). */
  useClaims(db: Db, url: string): () => Promise<void> {
    const claims = new StreamClaims(url);
    claimsOf.set(db.getExecutor().adapter, claims);
    return () => claims.close();
  },

  /** The gate over `db`'s persisted-up-to position, for the notifier (its `StreamGate`: the
   *  persisted-up-to position read, the highest known without reading, and whether a position
   *  committed now is known to be persisted-up-to). */
  gate(db: Db): { read(): Promise<number>; known(): number; committedInOrder(p: number): boolean } {
    const claims = claimsOf.get(db.getExecutor().adapter);
    return {
      read: () => streamStore.current(db),
      known: () => claims?.settled ?? 0,
      committedInOrder: (p) => claims?.committedInOrder(p) ?? false,
    };
  },

  /**
   * The next stream position, for a change written in `tx`. On PostgreSQL, writers of the same
   * `scope` take positions in commit order (an advisory lock held to commit); the default scope is
   * shared by every writer that names none; `null` takes no lock, for a caller whose own locks
   * order what it writes.
   */
  async next(tx: Tx, scope?: string | null): Promise<number> {
    const claims = tx.isTransaction ? claimsOf.get(tx.getExecutor().adapter) : undefined;
    if (!claims) {
      const row = (await bumpStatement(tx, { id: STREAM })).rows[0];
      if (!row) throw new Error('no stream counter');
      return Number(row.pos);
    }
    const lock = scope === null ? undefined : (scope ?? '');
    let w = writers.get(tx);
    if (!w || (lock !== undefined && !w.scopes.has(lock))) {
      const r = await (lock === undefined
        ? sql<{ x: string | number }>`select txid_current() as x`
        : sql<{ x: string | number }>`select txid_current() as x, pg_advisory_xact_lock(${SCOPE_LOCK_CLASS}, hashtext(${lock})) as l`
      ).execute(tx);
      w ??= { owner: Number(r.rows[0]?.x), scopes: new Set() };
      if (lock !== undefined) w.scopes.add(lock);
      writers.set(tx, w);
    }
    const p = await claims.claim(w.owner);
    if (TEST_DELAY_MS > 0) await new Promise((r) => setTimeout(r, Math.random() * TEST_DELAY_MS));
    return p;
  },

  /** The highest position up to which every change is committed and visible to `tx`'s later
   *  statements. */
  async current(tx: Tx): Promise<number> {
    if (!isPostgres(tx)) {
      const row = (await positionStatement(tx, { id: STREAM })).rows[0];
      if (!row) throw new Error('no stream counter');
      return Number(row.pos);
    }
    const r = await sql<{ top: string | number; low: string | number | null }>`
      select c.pos as top,
        (select min(s.pos) from stream_claims s where not txid_visible_in_snapshot(s.owner, txid_current_snapshot())) as low
      from stream_counter c where c.id = ${STREAM}`.execute(tx);
    const row = r.rows[0];
    if (!row) throw new Error('stream counter row missing');
    const settled = row.low === null ? Number(row.top) : Number(row.low) - 1;
    claimsOf.get(tx.getExecutor().adapter)?.note(settled);
    return settled;
  },

  /** The next typing serial. The row is created on first use, starting from the clock so that
   *  typing serials issued before it existed (they followed the clock) stay behind it. */
  async nextTyping(tx: Tx): Promise<number> {
    const row = await tx
      .insertInto('stream_counter')
      .values({ id: TYPING, pos: Date.now() })
      .onConflict((oc) => oc.column('id').doUpdateSet({ pos: sql`stream_counter.pos + 1` }))
      .returning('pos')
      .executeTakeFirstOrThrow();
    return Number(row.pos);
  },

  /** The last typing serial handed out (0 before the first). */
  async currentTyping(tx: Tx): Promise<number> {
    const row = await tx.selectFrom('stream_counter').select('pos').where('id', '=', TYPING).executeTakeFirst();
    return Number(row?.pos ?? 0);
  },

  /** PostgreSQL only: NOTIFY `channel` with `payload` when this transaction commits. */
  async announce(tx: Tx, channel: string, payload: string): Promise<void> {
    await sql`select pg_notify(${channel}, ${payload})`.execute(tx);
  },
};
