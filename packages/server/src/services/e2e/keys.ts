// Device keys and one-time keys (spec "End-to-end encryption": "Uploading keys", "Querying keys",
// "Claiming one-time keys", "Tracking the device list for a user"). A remote user's keys are asked of
// their server through the `remote` hook (outbound federation, decision 0032), its answer checked
// here; without federation, or when the server does not answer, it is reported under `failures`.
// The same reads serve other servers' /user/keys and /user/devices requests for our users.
// A device's keys go when the device goes (`forgetDeletedDevices`, called where tokens are revoked).

import { MatrixError, badJson, invalidParam, isUserId, parseUserId, serverNameOf, type api, type BodyOf, type ServerName, type UserId } from '@hush/protocol';
import type { Db, Tx } from '../../storage/db.ts';
import { stateStore } from '../../storage/state.store.ts';
import { e2eKeysStore, type OneTimeKeyRow, type SignatureRow } from '../../storage/e2e-keys.store.ts';
import type { Notifier } from '../../notifier/notifier.ts';
import type { Requester } from '../requester.ts';
import { parseSyncToken } from '../sync/tokens.ts';
import { deviceListChanges, oneTimeKeyCounts } from '../sync/device-lists.ts';
import { announceDeviceListChange, recordDeviceListChange } from './device-changes.ts';
import type { OutboundHooks } from '../outbound-hooks.ts';
import { INVALID_SIGNATURE, isRecord, mergedSignatures, signedBy, signedContent, storedForm, type JsonRecord } from './signed.ts';

/** What a query or claim answers for a server it cannot reach. */
const UNREACHABLE = { status: 503, message: 'The server could not be reached' };
const MAX_ID = 255;
/** A remote key object larger than this is dropped. */
const MAX_REMOTE_KEY_BYTES = 64 * 1024;
/** How long a query or claim waits for other servers (the spec's default `timeout`). */
const REMOTE_TIMEOUT_MS = 10_000;

/** The device-list `stream_id` other servers see for the change at stream `position`: room below it
 *  for the several per-device updates one change sends (≤ 999), each with its own id (decision 0032). */
export const deviceListStreamId = (position: number): number => position * 1000;

/** Asking other servers for keys (their raw answers; checked by the caller). */
export interface RemoteKeys {
  query(server: string, deviceKeys: Record<string, string[]>): Promise<unknown>;
  claim(server: string, oneTimeKeys: Record<string, Record<string, string>>): Promise<unknown>;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** One remote user's keys as checked and cached. */
interface RemoteUserKeys {
  device_keys: Record<string, JsonRecord>;
  master_key?: JsonRecord;
  self_signing_key?: JsonRecord;
}

/** What a /user/keys/query answer says of `userId`, checked. */
function remoteUserKeys(answer: JsonRecord, userId: string): RemoteUserKeys {
  const byDevice = isRecord(answer['device_keys']) ? answer['device_keys'][userId] : undefined;
  const out: RemoteUserKeys = { device_keys: {} };
  if (isRecord(byDevice)) {
    for (const [deviceId, dk] of Object.entries(byDevice).slice(0, 1000)) {
      const ok = remoteKeyObject(dk, userId, deviceId);
      if (ok) out.device_keys[deviceId] = ok;
    }
  }
  const master = remoteKeyObject(isRecord(answer['master_keys']) ? answer['master_keys'][userId] : undefined, userId);
  if (master) out.master_key = master;
  const ssk = remoteKeyObject(isRecord(answer['self_signing_keys']) ? answer['self_signing_keys'][userId] : undefined, userId);
  if (ssk) out.self_signing_key = ssk;
  return out;
}

const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
const keyMap = (v: unknown): boolean => isRecord(v) && Object.keys(v).length > 0 && Object.values(v).every((x) => typeof x === 'string');

/** A key object from another server in the spec's shape — device keys (with `deviceId`: algorithms,
 *  keys, signatures) or a cross-signing key (usage, keys) — that names `userId` (and `deviceId`) and
 *  is not oversized; anything else is undefined. */
function remoteKeyObject(value: unknown, userId: string, deviceId?: string): JsonRecord | undefined {
  if (!isRecord(value) || value['user_id'] !== userId || !keyMap(value['keys'])) return undefined;
  if (value['signatures'] !== undefined && !isRecord(value['signatures'])) return undefined;
  if (deviceId !== undefined) {
    if (value['device_id'] !== deviceId || !strings(value['algorithms']) || !isRecord(value['signatures'])) return undefined;
  } else if (!strings(value['usage'])) return undefined;
  if (JSON.stringify(value).length > MAX_REMOTE_KEY_BYTES) return undefined;
  return value;
}

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
  /** Other servers' keys (set by outbound federation). */
  remote: RemoteKeys | null = null;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly serverName: ServerName,
    /** The app's outbound federation hooks (`deviceList`: other servers hear of key changes). */
    private readonly outbound: OutboundHooks = {},
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
    announceDeviceListChange(this.notifier, this.outbound, announcement);
    return { one_time_key_counts: counts };
  }

  async query(r: Requester, body: BodyOf<typeof api.queryKeys>): Promise<QueryResponse> {
    const asked = Object.entries(body.device_keys).map(([u, devices]) => ({ userId: parseUserId(u), devices }));
    const out: QueryResponse = { failures: {}, device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    const remote = new Map<string, Record<string, string[]>>();
    await this.db.transaction().execute(async (tx) => {
      const local: string[] = [];
      for (const { userId, devices } of asked) {
        const server = serverNameOf(userId);
        if (server !== this.serverName) {
          if (!this.remote) out.failures[server] = UNREACHABLE;
          else (remote.get(server) ?? remote.set(server, {}).get(server) ?? {})[userId] = [...new Set(devices)];
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
    await Promise.all([...remote].map(([server, users]) => this.queryRemote(server, users, out)));
    return out;
  }

  /**
   * A remote server's users' keys: from the cache (remote_e2e_keys) while no device-list change of
   * the user arrived since it was filled and the user is in a room with us (only then do their
   * changes reach us); otherwise asked of `server` (every device, so the answer can be cached) and
   * checked — what does not name the right user and device, or is oversized, is dropped.
   */
  private async queryRemote(server: string, users: Record<string, string[]>, out: QueryResponse): Promise<void> {
    const ids = Object.keys(users);
    const { cached, asOf, joined } = await this.db.transaction().execute(async (tx) => ({
      cached: new Map((await e2eKeysStore.remoteKeys(tx, ids)).map((r) => [r.user_id, r])),
      asOf: await e2eKeysStore.lastDeviceListChanges(tx, ids),
      joined: new Set((await Promise.all(ids.map(async (u) => ((await stateStore.membershipsOfUser(tx, u)).some((m) => m.membership === 'join') ? u : undefined)))).filter((u) => u !== undefined)),
    }));
    const found = new Map<string, RemoteUserKeys>();
    for (const u of ids) {
      const row = cached.get(u);
      if (row && joined.has(u) && Number(row.as_of) === (asOf.get(u) ?? 0)) found.set(u, JSON.parse(row.json) as RemoteUserKeys);
    }
    const missing = ids.filter((u) => !found.has(u));
    if (missing.length > 0) {
      let answer: unknown;
      try {
        answer = await withTimeout(this.remote?.query(server, Object.fromEntries(missing.map((u) => [u, []]))) ?? Promise.reject(new Error('no federation')), REMOTE_TIMEOUT_MS);
      } catch {
        answer = undefined;
      }
      if (!isRecord(answer)) out.failures[server] = UNREACHABLE;
      else {
        const fresh = missing.map((u) => [u, remoteUserKeys(answer as JsonRecord, u)] as const);
        for (const [u, k] of fresh) found.set(u, k);
        const cacheable = fresh.filter(([u]) => joined.has(u));
        if (cacheable.length > 0) {
          await this.db.transaction().execute(async (tx) => {
            for (const [u, k] of cacheable) await e2eKeysStore.putRemoteKeys(tx, { user_id: u, as_of: asOf.get(u) ?? 0, json: JSON.stringify(k), fetched_ts: Date.now() });
          });
        }
      }
    }
    for (const [userId, k] of found) {
      const wanted = users[userId] ?? [];
      out.device_keys[userId] = wanted.length === 0 ? k.device_keys : Object.fromEntries(Object.entries(k.device_keys).filter(([d]) => wanted.includes(d)));
      if (k.master_key && out.master_keys) out.master_keys[userId] = k.master_key;
      if (k.self_signing_key && out.self_signing_keys) out.self_signing_keys[userId] = k.self_signing_key;
    }
  }

  async claim(body: BodyOf<typeof api.claimKeys>): Promise<NonNullable<typeof api.claimKeys.response>> {
    const asked = Object.entries(body.one_time_keys).map(([u, devices]) => ({ userId: parseUserId(u), devices }));
    const failures: Record<string, object> = {};
    const keys: Record<string, Record<string, Record<string, unknown>>> = {};
    const remote = new Map<string, Record<string, Record<string, string>>>();
    await this.db.transaction().execute(async (tx) => {
      for (const { userId, devices } of asked) {
        const server = serverNameOf(userId);
        if (server !== this.serverName) {
          if (!this.remote) failures[server] = UNREACHABLE;
          else (remote.get(server) ?? remote.set(server, {}).get(server) ?? {})[userId] = devices;
          continue;
        }
        for (const [deviceId, algorithm] of Object.entries(devices)) {
          const key = await e2eKeysStore.claim(tx, userId, deviceId, algorithm);
          if (key) (keys[userId] ??= {})[deviceId] = { [`${algorithm}:${key.keyId}`]: JSON.parse(key.json) as unknown };
        }
      }
    });
    await Promise.all(
      [...remote].map(async ([server, users]) => {
        let answer: unknown;
        try {
          answer = await withTimeout(this.remote?.claim(server, users) ?? Promise.reject(new Error('no federation')), REMOTE_TIMEOUT_MS);
        } catch {
          failures[server] = UNREACHABLE;
          return;
        }
        const otks = isRecord(answer) && isRecord(answer['one_time_keys']) ? answer['one_time_keys'] : {};
        for (const [userId, devices] of Object.entries(users)) {
          const byDevice = otks[userId];
          if (!isRecord(byDevice)) continue;
          for (const [deviceId, algorithm] of Object.entries(devices)) {
            const claimed = byDevice[deviceId];
            if (!isRecord(claimed)) continue;
            // One key, of the algorithm asked for: `algorithm:key_id` → a string or a signed object.
            const [entry] = Object.entries(claimed).filter(([name, v]) => name.startsWith(`${algorithm}:`) && name.length <= MAX_ID && (typeof v === 'string' || (isRecord(v) && typeof v['key'] === 'string' && isRecord(v['signatures']))));
            if (entry && JSON.stringify(entry[1]).length <= MAX_REMOTE_KEY_BYTES) (keys[userId] ??= {})[deviceId] = { [entry[0]]: entry[1] };
          }
        }
      }),
    );
    return { failures, one_time_keys: keys };
  }

  /** POST /_matrix/federation/v1/user/keys/query: our users' device and public cross-signing keys
   *  for another server (others' users are left out). */
  async queryForServer(deviceKeys: Record<string, string[]>): Promise<{ device_keys: Record<string, Record<string, unknown>>; master_keys: Record<string, unknown>; self_signing_keys: Record<string, unknown> }> {
    const ours = Object.fromEntries(Object.entries(deviceKeys).filter(([u]) => isUserId(u) && serverNameOf(u) === this.serverName));
    // The asking server is nobody's device: no requester's own signatures, no user-signing keys.
    const res = await this.query({ userId: '' as UserId, deviceId: '', tokenHash: '' }, { device_keys: ours });
    return { device_keys: res.device_keys, master_keys: res.master_keys ?? {}, self_signing_keys: res.self_signing_keys ?? {} };
  }

  /** POST /_matrix/federation/v1/user/keys/claim: one-time keys of our users' devices. */
  async claimForServer(oneTimeKeys: Record<string, Record<string, string>>): Promise<{ one_time_keys: Record<string, Record<string, Record<string, unknown>>> }> {
    const ours = Object.fromEntries(Object.entries(oneTimeKeys).filter(([u]) => isUserId(u) && serverNameOf(u) === this.serverName));
    const res = await this.claim({ one_time_keys: ours });
    return { one_time_keys: res.one_time_keys };
  }

  /** GET /_matrix/federation/v1/user/devices/{userId}: one of our users' devices with keys, their
   *  public cross-signing keys, and the position of their last device-list change. */
  async devicesForServer(userId: string): Promise<{ user_id: string; stream_id: number; devices: { device_id: string; keys: unknown; device_display_name?: string }[]; master_key?: unknown; self_signing_key?: unknown }> {
    const res = await this.queryForServer({ [userId]: [] });
    const [last] = await this.db.transaction().execute((tx) => e2eKeysStore.deviceListChangesOf(tx, userId, Number.MAX_SAFE_INTEGER, 1));
    const devices = Object.entries(res.device_keys[userId] ?? {}).map(([deviceId, keys]) => {
      const name = isRecord(keys) && isRecord(keys['unsigned']) ? keys['unsigned']['device_display_name'] : undefined;
      return { device_id: deviceId, keys, ...(typeof name === 'string' ? { device_display_name: name } : {}) };
    });
    const out: Awaited<ReturnType<E2eKeysService['devicesForServer']>> = { user_id: userId, stream_id: deviceListStreamId(last ?? 0), devices };
    if (res.master_keys[userId] !== undefined) out.master_key = res.master_keys[userId];
    if (res.self_signing_keys[userId] !== undefined) out.self_signing_key = res.self_signing_keys[userId];
    return out;
  }

  /** Positions of a user's device-list changes before `stream` (an update's `prev_id`). */
  async previousChanges(userId: string, stream: number): Promise<number[]> {
    return this.db.transaction().execute((tx) => e2eKeysStore.deviceListChangesOf(tx, userId, stream, 1));
  }

  /** A remote user's device list or cross-signing keys changed (m.device_list_update,
   *  m.signing_key_update): our users sharing a room with them see them in device_lists.changed. */
  async remoteDeviceListChanged(userId: string): Promise<boolean> {
    if (!isUserId(userId) || serverNameOf(userId) === this.serverName) return false;
    const announcement = await this.db.transaction().execute(async (tx) => {
      // Only a user in a room with us matters (and an unknown one must not grow the table).
      const joined = (await stateStore.membershipsOfUser(tx, userId)).some((m) => m.membership === 'join');
      return joined ? recordDeviceListChange(tx, [userId]) : undefined;
    });
    announceDeviceListChange(this.notifier, this.outbound, announcement);
    return announcement !== undefined;
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
  async forgetDeletedDevices(tx: Tx, userId: UserId): Promise<(() => void) | undefined> {
    const gone = await e2eKeysStore.orphanedDevices(tx, userId);
    if (gone.length === 0) return undefined;
    await e2eKeysStore.deleteDeviceKeys(tx, userId, gone.map((g) => g.deviceId));
    if (!gone.some((g) => g.hadDeviceKeys)) return undefined;
    const announcement = await recordDeviceListChange(tx, [userId], { deleted: gone.filter((g) => g.hadDeviceKeys).map((g) => g.deviceId) });
    return () => announceDeviceListChange(this.notifier, this.outbound, announcement);
  }
}
