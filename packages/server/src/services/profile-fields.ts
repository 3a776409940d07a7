// Extended profile fields (spec v1.16 "Profiles", MSC4133): GET/PUT/DELETE /profile/{userId}/{keyName}
// for `m.tz` and namespaced custom keys, and the whole profile for GET /profile/{userId}. Only the
// owner changes a field; the whole profile stays under 64 KiB; null is not stored (DELETE removes).
// displayname and avatar_url stay with AccountService (their member events follow a change).
// Another server's user's profile is asked of its server whole (`remote`, set when federation is on).

import { MatrixError, badJson, forbidden, invalidParam, missingParam, notFound, serverNameOf, type Profile, type ServerName, type UserId } from '@hush/protocol';
import type { Db } from '../storage/db.ts';
import { accountsStore } from '../storage/accounts.store.ts';
import { profileFieldsStore } from '../storage/profile-fields.store.ts';
import type { AccountService } from './accounts.ts';
import type { Requester } from './requester.ts';

/** The spec's grammar of a profile key: the two historical names, m.tz, or a namespaced identifier. */
const KEY = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;

/** Whether `key` is a profile key the spec's grammar allows (at most 255 bytes). */
export function isProfileKey(key: string): boolean {
  return key.length <= MAX_KEY_BYTES_CHARS && KEY.test(key);
}
/** "the total profile MUST be under 64 KiB" (its JSON, in bytes). */
export const MAX_PROFILE_BYTES = 64 * 1024;
/** "the maximum allowed key length of 255 bytes". */
const MAX_KEY_BYTES = 255;
/** The grammar is ASCII: characters are bytes. */
const MAX_KEY_BYTES_CHARS = MAX_KEY_BYTES;
const MAX_DISPLAYNAME = 256;
const MAX_AVATAR_URL = 2048;

function checkKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new MatrixError(400, 'M_KEY_TOO_LARGE', `Profile keys are at most ${MAX_KEY_BYTES} bytes`);
  if (!KEY.test(key)) throw invalidParam('Invalid profile key: avatar_url, displayname, m.tz or a namespaced name such as org.example.field');
}

export class ProfileFieldsService {
  /** Set when federation is on: another server's user's whole profile, asked of that server. */
  remote: ((userId: UserId) => Promise<Profile>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly accounts: AccountService,
    private readonly serverName: ServerName,
  ) {}

  /** The whole profile; 404 for an unknown or deactivated user. */
  async profile(userId: UserId): Promise<Profile> {
    if (this.remote && serverNameOf(userId) !== this.serverName) return this.remote(userId);
    const base = await this.accounts.profile(userId);
    const out: Profile = {};
    if (base.displayname !== null) out.displayname = base.displayname;
    if (base.avatar_url !== null) out.avatar_url = base.avatar_url;
    if (serverNameOf(userId) === this.serverName) {
      for (const [k, v] of await profileFieldsStore.all(this.db, userId)) out[k] = JSON.parse(v) as unknown;
    }
    return out;
  }

  /** `{ [key]: value }`; 404 when the user has no such field. */
  async get(userId: UserId, key: string): Promise<Record<string, unknown>> {
    checkKey(key);
    const profile = await this.profile(userId);
    if (!Object.hasOwn(profile, key)) throw notFound(`No profile field ${key}`);
    return { [key]: profile[key] };
  }

  /** PUT: the body holds exactly one property, named `key`. */
  async set(r: Requester, userId: UserId, key: string, body: Record<string, unknown>): Promise<void> {
    checkKey(key);
    if (userId !== r.userId) throw forbidden("Cannot change another user's profile");
    if (!Object.hasOwn(body, key)) throw missingParam(`The body must hold the property ${key}`);
    if (Object.keys(body).length !== 1) throw badJson(`The body must hold exactly one property, ${key}`);
    const value = body[key];
    if (key === 'displayname' || key === 'avatar_url') {
      const max = key === 'displayname' ? MAX_DISPLAYNAME : MAX_AVATAR_URL;
      if (value !== null && (typeof value !== 'string' || value.length > max)) throw badJson(`${key} must be a string of at most ${max} characters, or null`);
      return this.accounts.setProfileField(r, userId, key, value);
    }
    if (value === null) throw badJson('A null profile field is not stored: DELETE it instead');
    if (key === 'm.tz' && (typeof value !== 'string' || value.length === 0 || value.length > 255)) throw badJson('m.tz must be a time zone name such as Europe/London');
    const json = JSON.stringify(value);
    await this.db.transaction().execute(async (tx) => {
      await profileFieldsStore.lockUser(tx, userId);
      const user = await accountsStore.getUser(tx, userId);
      if (!user || user.deactivated) throw notFound('Profile not found');
      const fields = await profileFieldsStore.all(tx, userId);
      fields.set(key, json);
      if (profileBytes(user.displayname, user.avatar_url, fields) > MAX_PROFILE_BYTES) {
        throw new MatrixError(400, 'M_PROFILE_TOO_LARGE', `The profile would exceed ${MAX_PROFILE_BYTES} bytes`);
      }
      await profileFieldsStore.put(tx, userId, key, json);
    });
  }

  /** DELETE: removes the field; 200 also when there was none. */
  async delete(r: Requester, userId: UserId, key: string): Promise<void> {
    checkKey(key);
    if (userId !== r.userId) throw forbidden("Cannot change another user's profile");
    if (key === 'displayname' || key === 'avatar_url') return this.accounts.setProfileField(r, userId, key, null);
    await profileFieldsStore.delete(this.db, userId, key);
  }
}

/** The bytes of the profile's JSON: `{"displayname":…,"avatar_url":…,"key":value,…}`. */
function profileBytes(displayname: string | null, avatarUrl: string | null, fields: ReadonlyMap<string, string>): number {
  let n = 2 + Buffer.byteLength(JSON.stringify({ displayname, avatar_url: avatarUrl }));
  for (const [k, v] of fields) n += Buffer.byteLength(JSON.stringify(k)) + 2 + Buffer.byteLength(v);
  return n;
}
