// Device keys and one-time keys (spec "End-to-end encryption": "Uploading keys", "Querying keys",
// "Claiming one-time keys", "Tracking the device list for a user"). Local users only: Hush does not
// federate, so a remote user's server is reported under `failures`, as an unreachable server is.
// A device's keys go when the device goes (`forgetDeletedDevices`, called where tokens are revoked).

import { MatrixError, badJson, invalidParam, parseUserId, serverNameOf, type api, type BodyOf, type ServerName } from '@hush/spec';
import type { Db, Tx } from '../../storage/db.ts';
import { e2eKeysStore, type OneTimeKeyRow, type SignatureRow } from '../../storage/e2e-keys.store.ts';
import type { Notifier } from '../../notifier/notifier.ts';
import type { Requester } from '../requester.ts';
import { parseSyncToken } from '../sync/tokens.ts';
import { deviceListChanges, oneTimeKeyCounts } from '../sync/device-lists.ts';
import { announceDeviceListChange, recordDeviceListChange } from './device-changes.ts';
import { INVALID_SIGNATURE, isRecord, mergedSignatures, signedBy, signedContent, storedForm, type JsonRecord } from './signed.ts';

/** What a query or claim answers for a server it cannot reach (every remote one, for now). */
const UNREACHABLE = { status: 503, message: 'Federation is not supported by this homeserver' };
const MAX_ID = 255;

type QueryResponse = NonNullable<typeof api.queryKeys.response>;

/** `algorithm:key_id` → its two parts; 400 when either is empty or too long. */
function splitKeyName(name: string): { algorithm: string; keyId: string } {
  const i = name.indexOf(':');
  if (i <= 0 || i === name.length - 1 || name.length > MAX_ID) throw invalidParam(`Invalid key name ${JSON.stringify(name.slice(0, 64))}: expected algorithm:key_id`);
  return { algorithm: name.slice(0, i), keyId: name.slice(i + 1) };
}

function keyRows(keys: Record<string, unknown>): OneTimeKeyRow[] {
  return Object.entries(keys).map(([name, value]) => {
    // A key is its public key as a string, or a signed object {key, signatures} (one_time_keys.yaml).
    const signed = isRecord(value) && typeof value['key'] === 'string' && isRecord(value['signatures']);
    if (typeof value !== 'string' && !signed) throw badJson(`Key ${name} must be a string or a signed object with key and signatures`);
    return { ...splitKeyName(name), json: typeof value === 'string' ? JSON.stringify(value) : storedForm(value as JsonRecord) };
  });
}

/** Checks device keys as the spec asks: they name the requesting user and device, list algorithms,
 *  hold the device's ed25519 key and are signed by it. Returns their stored form. */
function checkDeviceKeys(r: Requester, dk: JsonRecord): string {
  if (dk['user_id'] !== r.userId || dk['device_id'] !== r.deviceId) throw invalidParam('device_keys must name the requesting user and device');
  const algorithms = dk['algorithms'];
  if (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === 'string')) throw badJson('device_keys.algorithms must be an array of strings');
  const keys = dk['keys'];
  if (!isRecord(keys) || !Object.values(keys).every((k) => typeof k === 'string')) throw badJson('device_keys.keys must map key ids to strings');
  const ed25519 = keys[`ed25519:${r.deviceId}`];
  if (typeof ed25519 !== 'string') throw invalidParam(`device_keys.keys lacks ed25519:${r.deviceId}`);
  if (!signedBy(dk, r.userId, r.deviceId, ed25519)) throw new MatrixError(400, INVALID_SIGNATURE, "device_keys are not signed by the device's ed25519 key");
  return storedForm(dk);
}

/**
 * Device keys uploaded again over `stored`. The keys themselves are the device's identity: different
 * ones are refused ("the server should reject"; re-log in instead). The same keys may bring new
 * signatures — a client that has just made its cross-signing keys uploads its device keys signed by
 * its self-signing key too, possibly while its first upload is still in flight — and those are added
 * to the stored ones, none dropped. Returns the new stored form, or undefined when nothing changes.
 */
function reuploadedDeviceKeys(stored: string, uploaded: string): string | undefined {
  if (stored === uploaded) return undefined;
  const old = JSON.parse(stored) as JsonRecord;
  const now = JSON.parse(uploaded) as JsonRecord;
  if (signedContent(old) !== signedContent(now)) throw invalidParam('This device already uploaded different device keys');
  const merged = storedForm(mergedSignatures(old, now));
  return merged === stored ? undefined : merged;
}

/** Adds to `obj.signatures` the stored signatures on it. */
export function withSignatures(obj: JsonRecord, rows: readonly SignatureRow[]): JsonRecord {
  if (rows.length === 0) return obj;
  const signatures: Record<string, Record<string, string>> = {};
  const existing = obj['signatures'];
  if (isRecord(existing)) for (const [u, s] of Object.entries(existing)) if (isRecord(s)) signatures[u] = { ...(s as Record<string, string>) };
  for (const row of rows) (signatures[row.signer_user_id] ??= {})[row.signer_key_id] = row.signature;
  return { ...obj, signatures };
}

export class E2eKeysService {
  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly serverName: ServerName,
  ) {}

  async upload(r: Requester, body: BodyOf<typeof api.uploadKeys>): Promise<{ one_time_key_counts: Record<string, number> }> {
    const deviceKeys = body.device_keys !== undefined ? checkDeviceKeys(r, body.device_keys) : undefined;
    const oneTime = keyRows(body.one_time_keys ?? {});
    const fallback = keyRows(body.fallback_keys ?? {});
    const { counts, announcement } = await this.db.transaction().execute(async (tx) => {
      let announcement;
      if (deviceKeys !== undefined) {
        const stored = await e2eKeysStore.deviceKeys(tx, r.userId, r.deviceId);
        const json = stored === undefined ? deviceKeys : reuploadedDeviceKeys(stored, deviceKeys);
        if (json !== undefined) {
          await e2eKeysStore.putDeviceKeys(tx, r.userId, r.deviceId, json);
          announcement = await recordDeviceListChange(tx, [r.userId]);
        }
      }
      if (oneTime.length > 0) {
        const known = new Map((await e2eKeysStore.oneTimeKeys(tx, r.userId, r.deviceId, oneTime)).map((k) => [`${k.algorithm}:${k.keyId}`, k.json]));
        for (const k of oneTime) {
          const old = known.get(`${k.algorithm}:${k.keyId}`);
          if (old !== undefined && old !== k.json) throw invalidParam(`One-time key ${k.algorithm}:${k.keyId} already exists with different content`);
        }
        await e2eKeysStore.insertOneTimeKeys(tx, r.userId, r.deviceId, oneTime);
      }
      for (const k of fallback) {
        const old = await e2eKeysStore.fallbackKey(tx, r.userId, r.deviceId, k.algorithm);
        // The same key again keeps its state (used or not); a new one replaces it, unused.
        if (old && old.keyId === k.keyId && old.json === k.json) continue;
        await e2eKeysStore.putFallbackKey(tx, r.userId, r.deviceId, k);
      }
      return { counts: await oneTimeKeyCounts(tx, r.userId, r.deviceId), announcement };
    });
    announceDeviceListChange(this.notifier, announcement);
    return { one_time_key_counts: counts };
  }

  async query(r: Requester, body: BodyOf<typeof api.queryKeys>): Promise<QueryResponse> {
    const asked = Object.entries(body.device_keys).map(([u, devices]) => ({ userId: parseUserId(u), devices }));
    const out: QueryResponse = { failures: {}, device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    await this.db.transaction().execute(async (tx) => {
      const local: string[] = [];
      for (const { userId, devices } of asked) {
        if (serverNameOf(userId) !== this.serverName) {
          out.failures[serverNameOf(userId)] = UNREACHABLE;
          continue;
        }
        local.push(userId);
        const rows = await e2eKeysStore.deviceKeysOf(tx, userId, [...new Set(devices)]);
        // Signatures uploaded later: the owner's (self-signing key) and the requester's own.
        const sigs = await e2eKeysStore.signaturesOn(tx, userId, rows.map((x) => x.deviceId), [userId, r.userId]);
        const byDevice: Record<string, object> = {};
        for (const row of rows) {
          let keys = withSignatures(JSON.parse(row.json) as JsonRecord, sigs.filter((s) => s.target_key_id === row.deviceId));
          if (row.displayName !== null) keys = { ...keys, unsigned: { device_display_name: row.displayName } };
          byDevice[row.deviceId] = keys;
        }
        out.device_keys[userId] = byDevice;
      }
      for (const row of await e2eKeysStore.crossSigningKeys(tx, local)) {
        // Another user's user-signing key is theirs alone ("only visible to the user who owns it").
        if (row.usage === 'user_signing' && row.user_id !== r.userId) continue;
        const sigs = await e2eKeysStore.signaturesOn(tx, row.user_id, [row.public_key], [row.user_id, r.userId]);
        const key = withSignatures(JSON.parse(row.json) as JsonRecord, sigs);
        const section = row.usage === 'master' ? out.master_keys : row.usage === 'self_signing' ? out.self_signing_keys : out.user_signing_keys;
        if (section) section[row.user_id] = key;
      }
    });
    return out;
  }

  async claim(body: BodyOf<typeof api.claimKeys>): Promise<NonNullable<typeof api.claimKeys.response>> {
    const asked = Object.entries(body.one_time_keys).map(([u, devices]) => ({ userId: parseUserId(u), devices }));
    const failures: Record<string, object> = {};
    const keys: Record<string, Record<string, Record<string, unknown>>> = {};
    await this.db.transaction().execute(async (tx) => {
      for (const { userId, devices } of asked) {
        if (serverNameOf(userId) !== this.serverName) {
          failures[serverNameOf(userId)] = UNREACHABLE;
          continue;
        }
        for (const [deviceId, algorithm] of Object.entries(devices)) {
          const key = await e2eKeysStore.claim(tx, userId, deviceId, algorithm);
          if (key) (keys[userId] ??= {})[deviceId] = { [`${algorithm}:${key.keyId}`]: JSON.parse(key.json) as unknown };
        }
      }
    });
    return { failures, one_time_keys: keys };
  }

  /** Users whose device lists changed between two sync tokens, and those who no longer share a room. */
  async changes(r: Requester, from: string, to: string): Promise<{ changed: string[]; left: string[] }> {
    const a = parseSyncToken(from);
    const b = parseSyncToken(to);
    return this.db.transaction().execute((tx) => deviceListChanges(tx, r.userId, a.stream, b.stream));
  }

  /**
   * In the transaction that deleted devices of `userId` (logout, device deletion, password change,
   * deactivation): deletes the keys of devices that are gone; when one of them had device keys,
   * that is a device-list change. Returns what to do after commit.
   */
  async forgetDeletedDevices(tx: Tx, userId: string): Promise<(() => void) | undefined> {
    const gone = await e2eKeysStore.orphanedDevices(tx, userId);
    if (gone.length === 0) return undefined;
    await e2eKeysStore.deleteDeviceKeys(tx, userId, gone.map((g) => g.deviceId));
    if (!gone.some((g) => g.hadDeviceKeys)) return undefined;
    const announcement = await recordDeviceListChange(tx, [userId]);
    return () => announceDeviceListChange(this.notifier, announcement);
  }
}
