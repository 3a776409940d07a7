// The house rule "imports point one way: api → services → {policy, storage, notifier}", checked by
// reading every source file's imports. Services never import the HTTP layer (who is asking is
// services/requester.ts, which the HTTP layer fills in).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function layer(path: string): string {
  return relative(SRC, path).split('/')[0] ?? '';
}

/** Which layers each layer may import from (besides itself and @hush/protocol). */
const ALLOWED: Record<string, string[]> = {
  api: ['http', 'services', 'federation', 'lib'],
  federation: ['services', 'policy', 'storage', 'config', 'http', 'lib'],
  http: ['services', 'api', 'config', 'lib'],
  services: ['policy', 'storage', 'notifier', 'config', 'lib'],
  policy: ['storage', 'lib'],
  storage: ['lib'],
  notifier: ['lib'],
  config: [],
  lib: [],
};

test('imports point one way', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const from = layer(file);
    if (!(from in ALLOWED)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = layer(resolve(dirname(file), m[1] as string));
      if (target !== from && !(ALLOWED[from] ?? []).includes(target)) violations.push(`${relative(SRC, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('only policy/visibility.ts mints a VisibleEvent', () => {
  const minting = files(SRC).filter((f) => /as VisibleEvent|is VisibleEvent/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(minting.map((f) => relative(SRC, f)), ['policy/visibility.ts']);
});

test('only the policy builds viewers and loaded views, and brands what a response may carry', () => {
  const outsidePolicy = files(SRC).filter((f) => layer(f) !== 'policy');
  const offending = (re: RegExp) => outsidePolicy.filter((f) => re.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
  assert.deepEqual(offending(/new RoomViewer\(/), [], 'RoomViewer built outside policy/');
  assert.deepEqual(offending(/as (unknown as )?PolicyView/), [], 'a PolicyView made outside policy/');
  assert.deepEqual(offending(/as (unknown as )?Shown</), [], 'a Shown<…> made outside policy/');
  assert.deepEqual(offending(/\bemptyIgnoreView\b/), [], 'a view that ignores nothing, outside policy/');
  assert.ok(!/export function asVisibleState/.test(readFileSync(join(SRC, 'policy/visibility.ts'), 'utf8')), 'no exported cast to VisibleEvent');
});

/** Module-level mutable state in services/ and policy/ that is meant to be per process, and why.
 *  Everything else an app remembers belongs to its instance (services/caches.ts, built per app by
 *  createServices): two apps in one process must not see each other's entries. */
const PROCESS_WIDE: Record<string, string> = {
  'services/secrets.ts running': "the password KDF's slots: the cores are the process's, whichever app asks",
  'services/secrets.ts waiting': 'the KDF runs queued for a slot (as above)',
  'services/media/thumbnails.ts sharpLoaded': 'the image library, loaded once per process',
  'services/media/thumbnails.ts SOURCE_FORMATS': 'a constant set, never written',
  'services/push-rules/evaluate.ts literalMatchers': "compiled expressions of display names: a pure function's memo, holding no app's data",
};

test('no module-level mutable state in services/ or policy/ but the allowed', () => {
  const found: string[] = [];
  for (const file of files(SRC).filter((f) => ['services', 'policy'].includes(layer(f)))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      // Only top-level declarations: a class field or a local starts indented.
      const m = /^(?:export )?(?:(?:let|var) (\w+)|const (\w+)(?:: (.+?))? = (?:new (?:Map|Set|WeakMap|WeakSet|Lru)\b|\[\]))/.exec(line);
      if (!m) continue;
      // A constant typed read-only cannot be written.
      if (m[3] !== undefined && /^(Readonly|readonly )/.test(m[3].trim())) continue;
      found.push(`${relative(SRC, file)} ${m[1] ?? m[2]}`);
    }
  }
  assert.deepEqual(found.filter((k) => !(k in PROCESS_WIDE)), [], 'module-level mutable state: give it to the app (services/caches.ts) or allow it here with a reason');
  assert.deepEqual(Object.keys(PROCESS_WIDE).filter((k) => !found.includes(k)), [], 'allowed but gone: remove from PROCESS_WIDE');
});

test('services are wired at construction, not by assigning callbacks afterwards', () => {
  // A setter field (`onX: … | null = null`) assigned after construction can be forgotten; what a
  // service tells another is a listener given to its constructor (services/index.ts), and what it
  // tells outbound federation goes through the app's OutboundHooks, also given at construction.
  const setters = files(SRC)
    .filter((f) => layer(f) === 'services')
    .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\s+(on[A-Z]\w*)\??: .*\| null = null;/gm)].map((m) => `${relative(SRC, f)} ${m[1]}`));
  assert.deepEqual(setters, []);
});

/** Parameters of services' public methods named like an id but typed `string`, and why each stays
 *  so. Everything else takes the branded type its handler parsed (@hush/protocol ids.ts): a new
 *  method taking `roomId: string` fails here. */
const STRING_IDS: [reason: string, where: string[]][] = [
  [
    "a path segment the service checks itself: another user's id is 403 (parsing it in the handler would make a bad one 400)",
    ['account-data.ts put(userId)', 'account-data.ts put(roomId)', 'account-data.ts get(userId)', 'account-data.ts get(roomId)', 'filters.ts define(userId)', 'filters.ts get(userId)',
      'presence.ts set(userId)', 'presence.ts get(userId)', 'tags.ts get(userId)', 'tags.ts set(userId)', 'tags.ts remove(userId)', 'typing.ts setTyping(userId)',
      'rooms/reads.ts event(eventId)', 'receipts.ts postReceipt(eventId)', 'e2e/key-backup.ts getKeys(roomId?)', 'e2e/key-backup.ts deleteKeys(roomId?)'],
  ],
  [
    'ids read from stored rows or used as cache keys (stores keep `string`)',
    ['account-data.ts remember(userId)', 'account-data.ts remember(roomId)', 'account-data.ts parse(userId)', 'account-data.ts parse(roomId)',
      'e2e/keys.ts previousChanges(userId)', 'events/pdu-cache.ts get(eventId)', 'events/pdu-cache.ts remember(eventId)', 'rooms/persist.ts remember(eventId)',
      'filters.ts matchesRoom(roomId)', 'filters.ts matchesSender(sender)', 'push-rules/service.ts get(userId)', 'push-rules/service.ts set(userId)', 'push-rules/service.ts ruleset(userId)',
      'rooms/writer.ts alsoNotify(userId)', 'rooms/writer.ts write(roomId)', 'rooms/rooms.ts profileContent(userId)', 'rooms/rooms.ts inviteIn(sender)', 'rooms/rooms.ts inviteIn(target)',
      'rooms/rooms.ts powerLevels(roomId)', 'rooms/rooms.ts rejectIgnoredInvites(userId)',
      'sync/lazy-members.ts has(userId)', 'sync/lazy-members.ts has(roomId)', 'sync/lazy-members.ts has(eventId)', 'sync/lazy-members.ts knows(userId)', 'sync/lazy-members.ts knows(roomId)',
      'sync/lazy-members.ts record(userId)', 'sync/lazy-members.ts record(roomId)', 'typing.ts changedSince(roomId)', 'typing.ts typingIn(roomId)'],
  ],
  [
    'what another server sent (EDU content, federation/inbound checks it): to be branded where federation parses it',
    ['e2e/keys.ts devicesForServer(userId)', 'e2e/keys.ts remoteDeviceListChanged(userId)', 'presence.ts setRemote(userId)', 'receipts.ts putRemote(roomId)', 'receipts.ts putRemote(userId)',
      'receipts.ts putRemote(eventId)', 'to-device.ts receiveRemote(sender)', 'typing.ts setRemote(roomId)', 'typing.ts setRemote(userId)'],
  ],
  [
    "the port to federation's membership handshakes (RemoteMembership, implemented in federation/outbound): invite rejection calls it with stored rows' ids",
    ['rooms/rooms.ts isRemote(roomId)', 'rooms/rooms.ts join(userId)', 'rooms/rooms.ts join(roomId)', 'rooms/rooms.ts leave(userId)', 'rooms/rooms.ts leave(roomId)', 'rooms/rooms.ts knock(userId)',
      'rooms/rooms.ts knock(roomId)', 'rooms/rooms.ts invite(roomId)', 'rooms/rooms.ts invite(sender)', 'rooms/rooms.ts invite(target)'],
  ],
  [
    'invite rejections were being reworked at the time of issue 20: to be branded with them',
    ['rooms/rooms.ts rejectArrivedInvite(userId)', 'rooms/rooms.ts rejectArrivedInvite(roomId)', 'rooms/rooms.ts rejectArrivedInvite(sender)'],
  ],
];
/** Whole files being reworked at the time of issue 20 (by other hands): to be branded with that work. */
const STRING_IDS_IN_REWORK = ['rooms/invite-rejections.ts', 'rooms/preview.ts', 'rooms/space-hierarchy.ts'];

/** `file method(param)` for every public method parameter in services/ named like an id and typed `string`. */
function stringIdParams(): string[] {
  const out: string[] = [];
  const SERVICES = join(SRC, 'services');
  for (const file of files(SERVICES)) {
    const text = readFileSync(file, 'utf8');
    // Methods of classes and interfaces (two-space indent), not private ones or constructors.
    for (const m of text.matchAll(/^ {2}(?!private |protected |constructor)(?:static )?(?:async )?(\w+)(?:<[^>(]*>)?\(/gm)) {
      let i = (m.index ?? 0) + m[0].length;
      const start = i;
      for (let depth = 1; depth > 0 && i < text.length; i++) {
        const c = text[i] as string;
        if ('({[<'.includes(c)) depth++;
        else if (')}]>'.includes(c)) depth--;
      }
      let depth = 0;
      let current = '';
      const params: string[] = [];
      for (const c of text.slice(start, i - 1)) {
        if ('({[<'.includes(c)) depth++;
        if (')}]>'.includes(c)) depth--;
        if (c === ',' && depth === 0) {
          params.push(current);
          current = '';
        } else current += c;
      }
      params.push(current);
      for (const p of params) {
        const pm = /^\s*(?:readonly )?(\w+\??)\s*:\s*([^=]+?)\s*(?:=.*)?$/s.exec(p);
        if (pm && /^(userId|roomId|eventId|sender|target)\??$/.test(pm[1] as string) && /^string(\s*\|\s*undefined)?$/.test((pm[2] as string).trim())) {
          out.push(`${relative(SERVICES, file)} ${m[1]}(${pm[1]})`);
        }
      }
    }
  }
  return out;
}

test('services take branded ids (UserId, RoomId, EventId) where their handlers parsed them', () => {
  const found = stringIdParams().filter((x) => !STRING_IDS_IN_REWORK.includes(x.split(' ')[0] as string));
  const allowed = new Set(STRING_IDS.flatMap(([, where]) => where));
  assert.deepEqual(found.filter((x) => !allowed.has(x)), [], 'a service method takes an id as `string`: take the branded type (or add it to STRING_IDS with a reason)');
  assert.deepEqual([...allowed].filter((x) => !found.includes(x)), [], 'in STRING_IDS but branded or gone: remove it');
});
