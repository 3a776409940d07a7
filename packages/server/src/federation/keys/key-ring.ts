// Other servers' keys: memory, then the database cache, then the server itself
// (/_matrix/key/v2/server), then the trusted notaries (/_matrix/key/v2/query) — each answer checked
// (server-keys.ts) before it is stored. A key is trusted until the lesser of its valid_until_ts and
// 7 days after it was fetched. Fetches for one server are shared and spaced (one per 30 s), so a
// peer sending made-up key ids cannot make us fetch on every request.

import type { KeyObject } from 'node:crypto';
import type { Db } from '../../storage/db.ts';
import { remoteServerKeysStore, type RemoteKeyRow } from '../../storage/remote-server-keys.store.ts';
import type { TrustedKeyServer } from '../../config/federation.ts';
import { publicKeyFromBase64, verifyJsonSignature } from '../../services/events/crypto.ts';
import { checkServerKeys, effectiveValidUntil, KeyDocumentError, type CheckedServerKeys } from './server-keys.ts';
import type { OurKeys } from './our-keys.ts';

/** How keys reach us; the real one is over the federation HTTP client, tests give a fake. */
export interface KeyFetcher {
  /** GET /_matrix/key/v2/server on `serverName`: the parsed JSON body (throws when unreachable or not 200). */
  direct(serverName: string): Promise<unknown>;
  /** POST /_matrix/key/v2/query on `notary` with `body`: the parsed JSON body. */
  notary(notary: string, body: unknown): Promise<unknown>;
}

export interface RemoteKey {
  publicKey: KeyObject;
  /** Trusted for new signatures until then (valid_until_ts capped at fetch + 7 days). */
  validUntil: number;
  /** For keys from old_verify_keys: when they stopped being used. */
  expiredTs: number | null;
}

interface Log {
  warn(obj: object, msg: string): void;
}

/** The least time between two fetches of one server's keys. */
export const REFETCH_SPACING_MS = 30_000;
const MEMORY_MAX = 50_000;

export class KeyRing {
  private readonly memory = new Map<string, RemoteKey>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly lastFetch = new Map<string, number>();
  /** Figures for the bench and the logs. */
  readonly stats = { directFetches: 0, notaryFetches: 0, dbHits: 0, memoryHits: 0 };

  constructor(
    private readonly db: Db,
    private readonly ours: OurKeys,
    private readonly fetcher: KeyFetcher,
    private readonly trusted: readonly TrustedKeyServer[],
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The key `serverName` signs requests with as `keyId`: a current key (not from old_verify_keys),
   * trusted now. undefined when neither the server nor a notary gives one.
   */
  async requestKey(serverName: string, keyId: string): Promise<KeyObject | undefined> {
    if (serverName === this.ours.serverName) {
      const mine = await this.ours.verifyKey(keyId);
      return mine && mine.expiredTs === null ? mine.publicKey : undefined;
    }
    const now = this.now();
    const usable = (k: RemoteKey | undefined) => k !== undefined && k.expiredTs === null && k.validUntil >= now;
    let key = await this.cached(serverName, keyId);
    if (usable(key)) return key?.publicKey;
    await this.refresh(serverName, [keyId], now);
    key = await this.cached(serverName, keyId);
    return usable(key) ? key?.publicKey : undefined;
  }

  /**
   * The key `serverName` signed an event with as `keyId`, if it was in use at `ts` (a replaced key
   * counts up to its expired_ts). With `enforceValidity` (room versions 5+) the key's
   * valid_until_ts must also be at or after `ts`. undefined when no such key is known or fetched.
   */
  async eventKey(serverName: string, keyId: string, ts: number, enforceValidity: boolean): Promise<KeyObject | undefined> {
    if (serverName === this.ours.serverName) {
      const mine = await this.ours.verifyKey(keyId);
      return mine && (mine.expiredTs === null || mine.expiredTs > ts) ? mine.publicKey : undefined;
    }
    const usable = (k: RemoteKey | undefined) => k !== undefined && (k.expiredTs === null || k.expiredTs > ts) && (!enforceValidity || k.validUntil >= ts);
    let key = await this.cached(serverName, keyId);
    if (usable(key)) return key?.publicKey;
    await this.refresh(serverName, [keyId], Math.min(ts, this.now()));
    key = await this.cached(serverName, keyId);
    return usable(key) ? key?.publicKey : undefined;
  }

  /** Stored documents of `serverName` (for notary answers), distinct, newest validity first. */
  async storedDocuments(serverName: string): Promise<{ rows: RemoteKeyRow[]; documents: unknown[] }> {
    const rows = await remoteServerKeysStore.forServer(this.db, serverName);
    const seen = new Set<string>();
    const docs: { json: string; until: number }[] = [];
    for (const r of rows) {
      if (seen.has(r.responseJson)) continue;
      seen.add(r.responseJson);
      docs.push({ json: r.responseJson, until: r.validUntilTs });
    }
    docs.sort((a, b) => b.until - a.until);
    return { rows, documents: docs.map((d) => JSON.parse(d.json) as unknown) };
  }

  /**
   * Fetches `serverName`'s keys (directly, then through notaries unless `directOnly`) unless a
   * fetch happened less than 30 s ago. Concurrent calls share one fetch. Never throws.
   */
  async refresh(serverName: string, keyIds: readonly string[], minValidUntil: number, directOnly = false): Promise<void> {
    const last = this.lastFetch.get(serverName);
    if (last !== undefined && this.now() - last < REFETCH_SPACING_MS) return;
    const running = this.inflight.get(serverName);
    if (running) return running;
    const p = this.fetchKeys(serverName, keyIds, minValidUntil, directOnly).finally(() => {
      this.inflight.delete(serverName);
      this.lastFetch.set(serverName, this.now());
      if (this.lastFetch.size > MEMORY_MAX) this.lastFetch.delete(this.lastFetch.keys().next().value as string);
    });
    this.inflight.set(serverName, p);
    return p;
  }

  private async cached(serverName: string, keyId: string): Promise<RemoteKey | undefined> {
    const id = `${serverName}\n${keyId}`;
    const hit = this.memory.get(id);
    if (hit) {
      this.stats.memoryHits++;
      return hit;
    }
    const row = await remoteServerKeysStore.get(this.db, serverName, keyId);
    if (!row) return undefined;
    this.stats.dbHits++;
    const key = { publicKey: publicKeyFromBase64(row.key), validUntil: effectiveValidUntil(row.validUntilTs, row.fetchedTs), expiredTs: row.expiredTs };
    this.remember(id, key);
    return key;
  }

  private remember(id: string, key: RemoteKey): void {
    if (this.memory.size >= MEMORY_MAX) this.memory.delete(this.memory.keys().next().value as string);
    this.memory.set(id, key);
  }

  private async fetchKeys(serverName: string, keyIds: readonly string[], minValidUntil: number, directOnly: boolean): Promise<void> {
    const found = (checked: CheckedServerKeys[]) =>
      keyIds.every((id) => checked.some((c) => c.keys.some((k) => k.keyId === id && effectiveValidUntil(c.validUntilTs, this.now()) >= minValidUntil)));
    try {
      this.stats.directFetches++;
      const checked = checkServerKeys(await this.fetcher.direct(serverName), serverName);
      await this.store([checked]);
      if (found([checked])) return;
    } catch (err) {
      this.log.warn({ serverName, err: err instanceof Error ? err.message : String(err) }, 'federation: direct key fetch failed');
    }
    if (directOnly) return;
    for (const notary of this.trusted) {
      if (notary.serverName === serverName) continue;
      try {
        this.stats.notaryFetches++;
        const criteria = Object.fromEntries(keyIds.map((id) => [id, { minimum_valid_until_ts: minValidUntil }]));
        const answer = await this.fetcher.notary(notary.serverName, { server_keys: { [serverName]: criteria } });
        const docs = isRecord(answer) && Array.isArray(answer.server_keys) ? answer.server_keys : [];
        const checked: CheckedServerKeys[] = [];
        for (const doc of docs.slice(0, 50)) {
          try {
            const c = checkServerKeys(doc, serverName);
            if (await this.signedByNotary(doc, notary)) checked.push(c);
            else this.log.warn({ serverName, notary: notary.serverName }, 'federation: notary answer without a valid notary signature');
          } catch (err) {
            if (!(err instanceof KeyDocumentError)) throw err;
            this.log.warn({ serverName, notary: notary.serverName, err: err.message }, 'federation: notary gave an invalid key document');
          }
        }
        await this.store(checked);
        if (found(checked)) return;
      } catch (err) {
        this.log.warn({ serverName, notary: notary.serverName, err: err instanceof Error ? err.message : String(err) }, 'federation: notary key query failed');
      }
    }
  }

  /** True when `doc` carries a valid signature of the notary: by a configured key, or else by a key fetched from it directly. */
  private async signedByNotary(doc: unknown, notary: TrustedKeyServer): Promise<boolean> {
    const sigs = isRecord(doc) && isRecord(doc.signatures) ? doc.signatures[notary.serverName] : undefined;
    if (!isRecord(sigs)) return false;
    for (const keyId of Object.keys(sigs)) {
      let publicKey: KeyObject | undefined;
      if (notary.verifyKeys) {
        const configured = notary.verifyKeys[keyId];
        publicKey = configured === undefined ? undefined : publicKeyFromBase64(configured);
      } else {
        let key = await this.cached(notary.serverName, keyId);
        if (!key || key.validUntil < this.now()) {
          await this.refresh(notary.serverName, [keyId], this.now(), true);
          key = await this.cached(notary.serverName, keyId);
        }
        publicKey = key && key.validUntil >= this.now() ? key.publicKey : undefined;
      }
      if (publicKey && verifyJsonSignature(doc as object, notary.serverName, keyId, publicKey)) return true;
    }
    return false;
  }

  private async store(checked: readonly CheckedServerKeys[]): Promise<void> {
    const fetchedTs = this.now();
    const rows: RemoteKeyRow[] = [];
    for (const c of checked) {
      const responseJson = JSON.stringify(c.document);
      for (const k of c.keys) {
        rows.push({ serverName: c.serverName, keyId: k.keyId, key: k.key, validUntilTs: c.validUntilTs, expiredTs: k.expiredTs, fetchedTs, responseJson });
        this.remember(`${c.serverName}\n${k.keyId}`, { publicKey: k.publicKey, validUntil: effectiveValidUntil(c.validUntilTs, fetchedTs), expiredTs: k.expiredTs });
      }
    }
    if (rows.length > 0) await this.db.transaction().execute((tx) => remoteServerKeysStore.upsert(tx, rows));
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
