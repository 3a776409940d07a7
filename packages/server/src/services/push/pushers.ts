// Pushers (client-server API "Client behaviour" of the push module; pusher.yaml): list, create or
// change (by user, app_id and pushkey), delete with `kind: null`, and `append: false` taking the
// app id and pushkey away from other users. `http` pushers are delivered to (push/delivery.ts);
// `email` pushers are stored and listed, but Hush sends no email.

import { ErrCode, MatrixError, type api, type JsonObject, type UserId } from '@hush/protocol';
import type { Db } from '../../storage/db.ts';
import { pushStore, type PusherRow } from '../../storage/push.store.ts';
import { isPrivateLiteral } from './outbound.ts';

type Pusher = api.Pusher;

export const NOTIFY_PATH = '/_matrix/push/v1/notify';
const MAX_PUSHKEY_BYTES = 512;
const MAX_APP_ID = 64;
const MAX_TEXT = 255;
const MAX_DATA_BYTES = 4096;
const MAX_PUSHERS_PER_USER = 100;

export interface PusherSetBody {
  pushkey?: string;
  kind?: string | null;
  app_id?: string;
  app_display_name?: string;
  device_display_name?: string;
  profile_tag?: string;
  lang?: string;
  data?: Record<string, unknown>;
  append?: boolean;
}

const invalid = (msg: string) => new MatrixError(400, ErrCode.INVALID_PARAM, msg);

/** A pusher URL: http(s), no credentials, path `/_matrix/push/v1/notify` ("MUST be an HTTPS URL
 *  with a path of /_matrix/push/v1/notify"; plain http is accepted for gateways on a private
 *  network). Private and loopback hosts only when the operator allows them. */
export function checkPushUrl(raw: unknown, allowPrivate: boolean): string {
  if (typeof raw !== 'string') throw new MatrixError(400, ErrCode.MISSING_PARAM, 'http pushers need data.url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('data.url is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('data.url must be an http(s) URL');
  if (url.username !== '' || url.password !== '') throw invalid('data.url must not carry credentials');
  if (url.pathname !== NOTIFY_PATH) throw invalid(`data.url must have the path ${NOTIFY_PATH}`);
  if (raw.length > 2048) throw invalid('data.url is too long');
  if (!allowPrivate && isPrivateLiteral(url.hostname)) throw invalid('data.url names a private or loopback address, which this server does not push to');
  return raw;
}

function toWire(row: PusherRow): Pusher {
  const p: Pusher = {
    pushkey: row.pushkey,
    kind: row.kind,
    app_id: row.app_id,
    app_display_name: row.app_display_name,
    device_display_name: row.device_display_name,
    lang: row.lang,
    data: JSON.parse(row.data) as JsonObject,
  };
  if (row.profile_tag !== null) p.profile_tag = row.profile_tag;
  return p;
}

export class PusherService {
  constructor(
    private readonly db: Db,
    private readonly allowPrivate: boolean,
  ) {}

  async list(userId: UserId): Promise<{ pushers: Pusher[] }> {
    return { pushers: (await pushStore.pushersOf(this.db, userId)).map(toWire) };
  }

  async set(userId: UserId, deviceId: string, b: PusherSetBody): Promise<void> {
    const missing = (['pushkey', 'app_id'] as const).filter((k) => b[k] === undefined);
    if (!('kind' in b)) missing.push('kind' as never);
    if (missing.length > 0) throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing parameters: ${missing.join(', ')}`);
    const pushkey = b.pushkey as string;
    const appId = b.app_id as string;
    if (pushkey === '' || Buffer.byteLength(pushkey) > MAX_PUSHKEY_BYTES) throw invalid(`pushkey must be 1-${MAX_PUSHKEY_BYTES} bytes`);
    if (appId === '' || appId.length > MAX_APP_ID) throw invalid(`app_id must be 1-${MAX_APP_ID} characters`);
    if (b.kind === null || b.kind === undefined) {
      await pushStore.deletePusher(this.db, userId, appId, pushkey);
      return;
    }
    if (b.kind !== 'http' && b.kind !== 'email') throw invalid('kind must be http, email or null');
    const needed = (['app_display_name', 'device_display_name', 'lang', 'data'] as const).filter((k) => b[k] === undefined);
    if (needed.length > 0) throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing parameters: ${needed.join(', ')}`);
    for (const k of ['app_display_name', 'device_display_name', 'lang', 'profile_tag'] as const) {
      const v = b[k];
      if (v !== undefined && v.length > MAX_TEXT) throw invalid(`${k} is too long`);
    }
    const data = b.data as Record<string, unknown>;
    if (Buffer.byteLength(JSON.stringify(data)) > MAX_DATA_BYTES) throw invalid(`data is larger than ${MAX_DATA_BYTES} bytes`);
    if (data['format'] !== undefined && typeof data['format'] !== 'string') throw invalid('data.format must be a string');
    if (b.kind === 'http') checkPushUrl(data['url'], this.allowPrivate);
    if (b.kind === 'email' && !/^[^@\s]+@[^@\s]+$/.test(pushkey)) throw invalid('The pushkey of an email pusher is an email address');
    await this.db.transaction().execute(async (tx) => {
      const existing = await pushStore.pusher(tx, userId, appId, pushkey);
      if (!existing && (await pushStore.pushersOf(tx, userId)).length >= MAX_PUSHERS_PER_USER) throw invalid(`At most ${MAX_PUSHERS_PER_USER} pushers`);
      // "Otherwise, the homeserver must remove any other pushers with the same App ID and pushkey for different users."
      if (b.append !== true) {
        for (const other of await pushStore.othersWithKey(tx, userId, appId, pushkey)) await pushStore.deletePusher(tx, other.user_id, appId, pushkey);
      }
      await pushStore.upsertPusher(tx, {
        user_id: userId,
        app_id: appId,
        pushkey,
        kind: b.kind as string,
        app_display_name: b.app_display_name as string,
        device_display_name: b.device_display_name as string,
        profile_tag: b.profile_tag ?? null,
        lang: b.lang as string,
        data: JSON.stringify(data),
        device_id: deviceId,
        // A pushkey that stays the same keeps its timestamp ("when the pushkey was last updated").
        pushkey_ts: existing?.pushkey_ts ?? Math.floor(Date.now() / 1000),
      });
    });
  }
}
