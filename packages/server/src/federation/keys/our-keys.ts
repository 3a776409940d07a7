// Our published keys: the signing key this process loaded and every key stored, current or
// replaced, as the /_matrix/key/v2/server document (kept a few minutes per app instance).

import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import type { federation } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { serverKeysStore } from '../../storage/server-keys.store.ts';
import type { SigningKey } from '../../services/signing-key.ts';
import { signingKeyFromSeed } from '../../services/events/crypto.ts';
import { buildOurServerKeys } from './server-keys.ts';

/** How long a built document is reused; its valid_until_ts is a day ahead, so a few minutes is nothing. */
const DOCUMENT_REUSE_MS = 5 * 60_000;

export class OurKeys {
  private cached: { doc: federation.ServerKeys; built: number } | undefined;
  private keys: Map<string, { publicKey: KeyObject; expiredTs: number | null }> | undefined;

  constructor(
    private readonly db: Db,
    readonly serverName: string,
    readonly signing: SigningKey,
    private readonly now: () => number = Date.now,
  ) {}

  /** The signed key document (verify_keys, old_verify_keys, valid_until_ts a day ahead). */
  async document(): Promise<federation.ServerKeys> {
    const now = this.now();
    if (this.cached && now - this.cached.built < DOCUMENT_REUSE_MS) return this.cached.doc;
    const rows = await serverKeysStore.all(this.db);
    const doc = buildOurServerKeys(this.serverName, rows, this.signing.keyId, this.signing.privateKey, now);
    this.cached = { doc, built: now };
    this.keys = new Map(rows.map((r) => [r.keyId, { publicKey: createPublicKey(signingKeyFromSeed(r.seed)), expiredTs: r.keyId === this.signing.keyId ? null : r.expiredTs }]));
    return doc;
  }

  /** One of our keys by id (current: expiredTs null), for requests that claim to come from us. */
  async verifyKey(keyId: string): Promise<{ publicKey: KeyObject; expiredTs: number | null } | undefined> {
    if (!this.keys?.has(keyId)) await this.refresh();
    return this.keys?.get(keyId);
  }

  private async refresh(): Promise<void> {
    this.cached = undefined;
    await this.document();
  }
}
