// What /versions promises (docs/decisions/0002-advertised-versions.md): every operation of the
// spec's client-server OpenAPI files that the highest advertised version contains, and that is not
// deprecated, is served — a descriptor with its operationId in @hush/protocol, for the spec's method
// and path, and a route for it in the app — or belongs to a module listed in EXCLUDED, which
// answers 404 M_UNRECOGNIZED today. An excluded operation that is in fact served fails too.
// And the behaviour changes of each version after v1.11 (BEHAVIOUR_REVIEW, from the spec's
// changelogs) are all met up to the advertised version, while the next version is either missing
// an operation or has a change marked not met, with its reason: advertising never lags silently.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { api, type Endpoint } from '@hush/protocol';
import { SPEC_DIR } from '../../../tests/support/openapi.ts';
import { SUPPORTED_VERSIONS } from '../src/api/client/versions.ts';
import { createTestApp, type Session, type TestApp } from './helpers.ts';

interface Exclusion {
  module: string;
  reason: string;
  operations: string[];
  /** When the operation shares its method and path with a served one: what that request answers. */
  answers?: { body: Record<string, unknown>; status: number; errcode: string };
}

/** Spec modules Hush does not serve (the spec's "Modules" are optional per its feature profiles).
 *  Keep in step with docs/decisions/0002-advertised-versions.md. */
export const EXCLUDED: Exclusion[] = [
  {
    module: 'Content repository: URL previews',
    reason: 'fetching any URL a client names is a server-side request forgery risk; the rest of the media module is served (decision 0020)',
    operations: ['getUrlPreviewAuthed'],
  },
  {
    module: 'Third-party identifiers (3PID), identity-server binding and third-party invites',
    reason: 'Hush stores no email addresses or phone numbers and talks to no identity server',
    operations: [
      'getAccount3PIDs', 'add3PID', 'bind3PID', 'delete3pidFromAccount', 'unbind3pidFromAccount', 'requestTokenTo3PIDEmail', 'requestTokenTo3PIDMSISDN',
      'requestTokenToRegisterEmail', 'requestTokenToRegisterMSISDN', 'requestTokenToResetPasswordEmail', 'requestTokenToResetPasswordMSISDN',
    ],
  },
  {
    module: 'Third-party invites',
    reason: 'needs an identity server (see 3PID); POST /rooms/{roomId}/invite serves inviteUser only, so a 3PID body lacks user_id',
    operations: ['inviteBy3PID'],
    answers: { body: { id_server: 'id.example.org', id_access_token: 'x', medium: 'email', address: 'a@example.org' }, status: 400, errcode: 'M_BAD_JSON' },
  },
  {
    module: 'Third-party networks',
    reason: 'no application services, so no bridged protocols to look up in; getProtocols is served and lists none',
    operations: ['getProtocolMetadata', 'queryLocationByProtocol', 'queryUserByProtocol', 'queryLocationByAlias', 'queryUserByID'],
  },
  { module: 'SSO client login', reason: 'password login only', operations: ['redirectToSSO', 'redirectToIdP'] },
  { module: 'Login tokens (m.login.token)', reason: 'password login only; m.get_login_token is advertised disabled', operations: ['generateLoginToken'] },
  { module: 'OpenID', reason: 'no integration managers or widgets to vouch to', operations: ['requestOpenIdToken'] },
  { module: 'Application services', reason: 'no application service registrations', operations: ['pingAppservice', 'updateAppserviceRoomDirectoryVisibility'] },
  {
    module: 'Server administration',
    reason: 'no administrator role yet',
    operations: ['getWhoIs', 'getAdminSuspendUser', 'setAdminSuspendUser', 'getAdminLockUser', 'setAdminLockUser'],
  },
  { module: 'Room previews (peeking) and room initial sync', reason: 'previews are served by getRoomSummary and the space hierarchy instead', operations: ['peekEvents', 'roomInitialSync'] },
  { module: 'OAuth 2.0 API', reason: 'Hush is its own authorization server only through /login', operations: ['getAuthMetadata'] },
  { module: 'Policy servers', reason: 'an optional module (v1.18): Hush is no policy server and asks none', operations: ['getWellknownPolicy'] },
];

interface BehaviourChange {
  /** What the version changed for a client of the client-server API (its changelog, condensed). */
  change: string;
  met: boolean;
  /** How Hush meets it (the test or code that shows it), or why it does not. */
  how: string;
}

/** The client-server behaviour changes of every version after v1.11, reviewed one by one from the
 *  spec's changelogs (new operations are checked from the OpenAPI files instead). Clarifications
 *  that change nothing a server does, and client-only changes, are left out or noted as such. */
export const BEHAVIOUR_REVIEW: Record<string, BehaviourChange[]> = {
  'v1.12': [
    { change: 'Content-Disposition and Content-Type required on downloads and thumbnails', met: true, how: 'http/media-headers.ts; media tests' },
    { change: '`via` on /join and /knock (MSC4156); `server_name` deprecated', met: true, how: 'every via value is tried, server_name still read (test/api/join-via.test.ts)' },
    { change: '403 on profile look-ups, account locking (M_USER_LOCKED), guests and authenticated media', met: true, how: 'MAY / not applicable: profiles are public, no locking (no admin module), no guest accounts' },
    { change: 'marking rooms unread (m.marked_unread)', met: true, how: 'client-side room account data, stored like any other' },
  ],
  'v1.13': [
    { change: 'CORS Access-Control-Allow-Methods adds HEAD and PATCH (MSC4138)', met: true, how: 'app.ts; accounts.test.ts CORS test' },
    { change: 'one-time keys claimed in upload order (MSC4225)', met: true, how: 'upload_seq; e2e-keys.test.ts "claims hand one-time keys out in the order they were uploaded"' },
    { change: 'M_USER_SUSPENDED, requestToken error codes, reply fallbacks removed', met: true, how: 'not applicable: no suspension, no 3PID (excluded), client-side' },
  ],
  'v1.14': [
    { change: '`server_name` removed from /join and /knock', met: true, how: 'still read, harmless to clients of either version' },
    { change: 'default room version 11', met: true, how: 'DEFAULT_ROOM_VERSION = 11' },
  ],
  'v1.15': [
    { change: 'room_summary and /hierarchy gain room_version, encryption, allowed_room_ids', met: true, how: 'services/rooms/preview.ts; room-summary and space-hierarchy tests' },
    { change: 'm.topic content block in m.room.topic', met: true, how: 'createRoom writes m.topic beside topic' },
    { change: 'user directory: rooms with a public join rule or world_readable history count as public', met: true, how: 'public-rooms.test.ts "spec v1.15: users joined to an unlisted room …"' },
    { change: 'OAuth 2.0 API (auth_metadata)', met: true, how: 'an optional API: 404 M_UNRECOGNIZED is the spec\'s answer of a server without it (EXCLUDED)' },
  ],
  'v1.16': [
    { change: 'extended profile fields (MSC4133), m.tz, m.profile_fields capability', met: true, how: 'services/profile-fields.ts; profile-fields.test.ts, profile-fields-federation.test.ts (ours served, theirs fetched whole)' },
    { change: '`format=event` on GET /rooms/{roomId}/state/{eventType}/{stateKey}', met: true, how: 'spec-v1-16.test.ts "format=event answers the whole event …"' },
    { change: '`use_state_after` / `state_after` in /sync (MSC4222)', met: true, how: 'spec-v1-16.test.ts "/sync?use_state_after=true"' },
    { change: 'room version 12 (creators, room ids without a domain, additional_creators, its power levels)', met: true, how: 'room versions are negotiated by m.room_versions, which lists 1–11; the spec asks servers to keep creating v11 rooms. Joining v12 rooms over federation is its own issue' },
    { change: 'stripped state of invites and knocks includes m.room.create', met: true, how: 'services/sync/streams/rooms/invited.ts' },
  ],
  'v1.17': [
    { change: 'application services masquerade as devices and create them with PUT /devices (MSC4326, MSC4190); m.oauth UIA', met: true, how: 'not applicable: no application services, no OAuth' },
    { change: 'device_one_time_keys_count is only optional when no keys are left', met: true, how: 'always sent (e2e-keys.test.ts)' },
  ],
  'v1.18': [
    { change: 'm.room.redaction sent through PUT /send in every room version (MSC4169)', met: true, how: 'spec-v1-18.test.ts (it was stored without being applied to its target)' },
    { change: 'invite blocking (MSC4380)', met: true, how: 'm.invite_permission_config, e2e tested' },
    { change: 'administrator suspend/lock endpoints, policy servers, OAuth account management', met: true, how: 'optional modules (EXCLUDED); checking events with a room\'s policy server is server-server work not done' },
    { change: 'reports may answer 200 for unknown subjects; m.forget_forced_upon_leave; M_USER_LIMIT_EXCEEDED', met: true, how: 'MAY / optional capability (absent means false)' },
  ],
  'v1.19': [
    { change: 'GET /mutual_rooms (MSC2666)', met: true, how: 'services/mutual-rooms.ts; mutual-rooms.test.ts' },
    { change: 'unsigned.replaces_state on state events', met: true, how: 'events.replaces_state (migration 21); spec-v1-19.test.ts' },
    { change: 'm.key_backup account data, image packs, encrypted history sharing (shared_history), directory order', met: true, how: 'client-side data the server stores as it is; the directory order is ours to choose' },
  ],
};


interface SpecOperation {
  operationId: string;
  method: string;
  path: string;
  file: string;
  added: string | undefined;
  deprecated: boolean;
}

function specOperations(): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const name of readdirSync(SPEC_DIR).filter((n) => n.endsWith('.yaml')).sort()) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const doc = parseYaml(readFileSync(join(SPEC_DIR, name), 'utf8')) as any;
    const base = String(doc?.servers?.[0]?.variables?.basePath?.default ?? '');
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc?.paths ?? {})) {
      for (const [method, op] of Object.entries(item)) {
        if (typeof op !== 'object' || op === null || !('operationId' in op)) continue;
        const o = op as { operationId: string; deprecated?: boolean; 'x-addedInMatrixVersion'?: string };
        out.push({
          operationId: o.operationId,
          method: method.toUpperCase(),
          path: `${base}${path.trim()}`,
          file: name,
          added: o['x-addedInMatrixVersion'],
          deprecated: o.deprecated === true,
        });
      }
    }
  }
  return out;
}

/** `v1.11` / `1.11` → [1, 11]; `r0.x` → [0, 0] (the r0 API is v1.0's ancestor). */
function versionKey(v: string): [number, number] {
  if (v.startsWith('r')) return [0, 0];
  const m = /^v?(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`unreadable version ${v}`);
  return [Number(m[1]), Number(m[2])];
}
const atMost = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);
const HIGHEST = SUPPORTED_VERSIONS.map(versionKey).reduce((a, b) => (atMost(a, b) ? b : a));
const label = (k: [number, number]) => `v${k[0]}.${k[1]}`;

/** Every version named by an `x-addedInMatrixVersion` in the spec files, oldest first. */
function versionsInSpec(): [number, number][] {
  const found = new Set<string>();
  for (const name of readdirSync(SPEC_DIR, { recursive: true }) as string[]) {
    if (!name.endsWith('.yaml') && !name.endsWith('.json')) continue;
    for (const m of readFileSync(join(SPEC_DIR, name), 'utf8').matchAll(/x-addedInMatrixVersion["']?\s*:\s*["']?(\d+\.\d+)/g)) found.add(m[1]!);
  }
  return [...found].map(versionKey).sort((a, b) => (atMost(a, b) ? -1 : 1));
}

/** Path templates compared with parameter names erased. */
const shape = (p: string) => p.replace(/\{[^}]+\}/g, '{}');
const routeUrl = (p: string) => p.replace(/\{(\w+)\}/g, ':$1');
const fill = (p: string) => p.replace(/\{[^}]+\}/g, 'x');

const descriptors = new Map<string, Endpoint[]>();
for (const v of Object.values(api) as unknown[]) {
  if (typeof v !== 'object' || v === null || !('operationId' in v) || !('path' in v)) continue;
  const e = v as Endpoint;
  descriptors.set(e.operationId, [...(descriptors.get(e.operationId) ?? []), e]);
}

const all = specOperations();
const required = all.filter((o) => !o.deprecated && (o.added === undefined || atMost(versionKey(o.added), HIGHEST)));
const excludedIds = new Map(EXCLUDED.flatMap((x) => x.operations.map((id) => [id, x] as const)));

let t: TestApp;
let alice: Session;

before(async () => {
  t = await createTestApp();
  alice = await t.register('conformance');
});
after(() => t.close());

/** Served: a descriptor for the spec's method and path, with a route in the app. */
function served(op: SpecOperation): boolean {
  return (descriptors.get(op.operationId) ?? []).some(
    (d) => d.method === op.method && shape(d.path) === shape(op.path) && t.app.hasRoute({ method: d.method, url: routeUrl(d.path) }),
  );
}

describe('conformance with the advertised versions', () => {
  test('the spec files are read: operations found, the highest advertised version known', () => {
    assert.ok(all.length > 150, `only ${all.length} operations found in ${SPEC_DIR}`);
    assert.deepEqual(HIGHEST, versionKey(SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]!));
    // The r0 entries (listed for old clients) must never become the version we are held to.
    assert.ok(HIGHEST[0] >= 1, `the highest advertised version is a v1.x, not ${HIGHEST.join('.')}`);
  });

  test('every required operation is served or in an excluded module', () => {
    const missing = required.filter((o) => !served(o) && !excludedIds.has(o.operationId));
    assert.deepEqual(
      missing.map((o) => `${o.operationId} (${o.method} ${o.path}, ${o.file}, added ${o.added ?? 'r0/v1.0'})`),
      [],
      'operations the advertised versions require that are neither served nor excluded',
    );
  });

  test('the behaviour review covers every version from v1.12 to the newest in the spec files', () => {
    const newest = versionsInSpec().at(-1)!;
    assert.ok(atMost([1, 12], newest), `the spec files name no version after v1.11 (${SPEC_DIR})`);
    const expected: string[] = [];
    for (let minor = 12; atMost([1, minor], newest); minor++) expected.push(`v1.${minor}`);
    assert.deepEqual(Object.keys(BEHAVIOUR_REVIEW), expected, 'review the changelog of each new version (BEHAVIOUR_REVIEW)');
  });

  test('every behaviour change of the advertised versions is met', () => {
    const unmet = Object.entries(BEHAVIOUR_REVIEW)
      .filter(([v]) => atMost(versionKey(v), HIGHEST))
      .flatMap(([v, changes]) => changes.filter((c) => !c.met).map((c) => `${v}: ${c.change} (${c.how})`));
    assert.deepEqual(unmet, [], 'advertised, but not met');
  });

  test('the version after the advertised one is not ready: an operation is missing or a change is not met', (ctx) => {
    const next = Object.keys(BEHAVIOUR_REVIEW).find((v) => !atMost(versionKey(v), HIGHEST));
    if (next === undefined) return; // the newest version of the spec files is advertised
    const key = versionKey(next);
    const missing = all.filter((o) => !o.deprecated && o.added !== undefined && atMost(versionKey(o.added), key) && !atMost(versionKey(o.added), HIGHEST) && !served(o) && !excludedIds.has(o.operationId));
    const unmet = BEHAVIOUR_REVIEW[next]!.filter((c) => !c.met);
    ctx.diagnostic(`${next} — operations missing: ${missing.map((o) => o.operationId).join(', ') || 'none'}; not met: ${unmet.map((c) => c.change).join('; ') || 'none'}`);
    assert.ok(missing.length > 0 || unmet.length > 0, `${next} is ready: add it to SUPPORTED_VERSIONS (and decision 0002)`);
  });

  test('the operations each version after v1.11 adds (listed for the review)', (ctx) => {
    for (const v of Object.keys(BEHAVIOUR_REVIEW)) {
      const added = all.filter((o) => o.added !== undefined && label(versionKey(o.added)) === v);
      ctx.diagnostic(`${v}: ${added.map((o) => `${o.operationId}${served(o) ? '' : excludedIds.has(o.operationId) ? ' (excluded)' : ' (MISSING)'}`).join(', ') || 'none'}`);
    }
    assert.ok(all.some((o) => o.added !== undefined && !atMost(versionKey(o.added), [1, 11])), 'operations added after v1.11 are found');
  });

  test('the exclusion table is honest: known operations, none of them served, none listed twice', () => {
    const ids = EXCLUDED.flatMap((x) => x.operations);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'listed twice');
    const known = new Set(all.map((o) => o.operationId));
    assert.deepEqual(ids.filter((id) => !known.has(id)), [], 'not in the spec');
    const servedAnyway = all.filter((o) => excludedIds.has(o.operationId) && served(o));
    assert.deepEqual(servedAnyway.map((o) => o.operationId), [], 'excluded but served: drop them from EXCLUDED and the decision');
  });

  test('each excluded operation answers 404 M_UNRECOGNIZED today', async () => {
    const wrong: string[] = [];
    for (const op of all.filter((o) => excludedIds.has(o.operationId) && !o.deprecated)) {
      const x = excludedIds.get(op.operationId)!;
      const expected = x.answers ?? { status: 404, errcode: 'M_UNRECOGNIZED' };
      const body = op.method === 'GET' ? undefined : (x.answers?.body ?? {});
      const res = await t.req(op.method as 'GET', fill(op.path), { token: alice.token, ...(body !== undefined ? { body } : {}) });
      if (res.status !== expected.status || res.json?.errcode !== expected.errcode) wrong.push(`${op.operationId}: ${res.status} ${res.text.slice(0, 120)}`);
    }
    assert.deepEqual(wrong, []);
  });
});
