// The notary side of key exchange (keys_query.yaml): other servers' key documents as we fetched
// them, each with our signature added; refetched from the server when what is stored does not
// hold until `minimum_valid_until_ts` (or lacks a key asked for), and served from the store when
// the server cannot be reached ("notary servers should continue to return the last response").

import type { federation } from '@hush/protocol';
import { signJson } from '../../services/events/crypto.ts';
import { effectiveValidUntil } from './server-keys.ts';
import type { KeyRing } from './key-ring.ts';
import type { OurKeys } from './our-keys.ts';

type ServerKeys = federation.ServerKeys;

/** Server name → key ids asked for (none: all) → criteria. */
export type NotaryCriteria = Record<string, Record<string, { minimum_valid_until_ts?: number }>>;

export class Notary {
  constructor(
    private readonly ours: OurKeys,
    private readonly keyRing: KeyRing,
    private readonly now: () => number = Date.now,
  ) {}

  /** `minimumValidUntil` applies to servers asked for without key ids (the GET form). */
  async query(criteria: NotaryCriteria, minimumValidUntil?: number): Promise<ServerKeys[]> {
    const answers = await Promise.all(Object.entries(criteria).map(([serverName, keys]) => this.forServer(serverName, keys, minimumValidUntil)));
    return answers.flat();
  }

  private async forServer(serverName: string, keys: Record<string, { minimum_valid_until_ts?: number }>, minimumValidUntil: number | undefined): Promise<ServerKeys[]> {
    if (serverName === this.ours.serverName) return [await this.ours.document()];
    const now = this.now();
    const keyIds = Object.keys(keys);
    // "If not supplied, the notary server MUST use the current time."
    const minValid = keyIds.length === 0 ? (minimumValidUntil ?? now) : Math.max(...Object.values(keys).map((c) => c.minimum_valid_until_ts ?? now));
    let stored = await this.keyRing.storedDocuments(serverName);
    const holds = stored.rows.some((r) => effectiveValidUntil(r.validUntilTs, r.fetchedTs) >= minValid);
    const hasAll = keyIds.every((id) => stored.rows.some((r) => r.keyId === id));
    if (!holds || !hasAll) {
      // Only the server itself is asked: a notary does not forward to other notaries.
      await this.keyRing.refresh(serverName, keyIds, minValid, true);
      stored = await this.keyRing.storedDocuments(serverName);
    }
    const { keyId, privateKey } = this.ours.signing;
    return stored.documents.map((doc) => signJson(doc as ServerKeys, this.ours.serverName, keyId, privateKey));
  }
}
