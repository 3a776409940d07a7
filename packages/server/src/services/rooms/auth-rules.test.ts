// Tests for auth-rules.ts: in-memory rooms built event by event, one case per branch of the room
// version 11 authorisation rules (rule numbers in the test names), plus auth events selection.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { EventId, JsonObject, Pdu, RoomId, UserId } from '@hush/protocol';
import { eventIdFor, hashAndSignEvent, publicKeyBase64, signJson, type UnhashedPdu } from '../events/crypto.ts';
import {
  authEventKeys,
  authStateFrom,
  checkAuth,
  checkAuthEvents,
  type AuthEvent,
  type AuthResult,
  type AuthState,
} from './auth-rules.ts';

const ROOM = '!room:hush.test' as RoomId;
const alice = '@alice:hush.test' as UserId; // creator
const bob = '@bob:hush.test' as UserId;
const carol = '@carol:hush.test' as UserId;
const dave = '@dave:hush.test' as UserId;
const remote = '@eve:remote.test' as UserId;

type Ev = Pdu & { event_id: EventId };

let counter = 0;
const serverOf = (user: string) => user.slice(user.indexOf(':') + 1);

/** A plain event, signed (by presence) by the sender's server. */
function makeEvent(type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): Ev {
  const ev: Ev = {
    event_id: `$ev${++counter}` as EventId,
    auth_events: [],
    prev_events: [],
    content,
    depth: 1,
    hashes: { sha256: 'unused' },
    origin_server_ts: 0,
    room_id: ROOM,
    sender: sender as UserId,
    signatures: { [serverOf(sender)]: { 'ed25519:test': 'sig' } },
    type,
  };
  if (stateKey !== undefined) ev.state_key = stateKey;
  return { ...ev, ...extra };
}

/** A room in memory: each event is authorised against the current state and applied if allowed. */
class TestRoom {
  readonly state = new Map<string, Ev>();
  head: EventId | undefined;

  get auth(): AuthState {
    return { get: (t, k) => this.state.get(`${t}\u0000${k}`) };
  }

  build(type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): Ev {
    const keys = authEventKeys(type, stateKey, sender, content);
    const auth = keys.flatMap(([t, k]) => this.state.get(`${t}\u0000${k}`)?.event_id ?? []);
    return makeEvent(type, sender, content, stateKey, { prev_events: this.head ? [this.head] : [], auth_events: auth, ...extra });
  }

  send(type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): AuthResult & { event: Ev } {
    const event = this.build(type, sender, content, stateKey, extra);
    const result = checkAuth(event, this.auth);
    if (result.ok) {
      this.head = event.event_id;
      if (event.state_key !== undefined) this.state.set(`${event.type}\u0000${event.state_key}`, event);
    }
    return { ...result, event };
  }

  /** Sends and asserts the event was allowed. */
  ok(type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): Ev {
    const r = this.send(type, sender, content, stateKey, extra);
    assert.ok(r.ok, `expected ${type} from ${sender} to be allowed, got: ${r.ok ? '' : r.reason}`);
    return r.event;
  }

  /** Sends and asserts the event was rejected, with a reason matching `reason`. */
  no(reason: RegExp, type: string, sender: string, content: JsonObject, stateKey?: string, extra: Partial<Ev> = {}): void {
    const r = this.send(type, sender, content, stateKey, extra);
    assert.equal(r.ok, false, `expected ${type} from ${sender} to be rejected`);
    if (!r.ok) assert.match(r.reason, reason);
  }

  member(sender: string, target: string, membership: string, more: JsonObject = {}): Ev {
    return this.ok('m.room.member', sender, { membership, ...more }, target);
  }
  memberNo(reason: RegExp, sender: string, target: string, membership: string, more: JsonObject = {}): void {
    this.no(reason, 'm.room.member', sender, { membership, ...more }, target);
  }
}

interface RoomOptions {
  joinRule?: string | null;
  /** Power levels content; null for none. Default: alice 100. */
  pl?: JsonObject | null;
  createContent?: JsonObject;
  /** Users who join (public rooms) or are invited by alice and join. */
  joined?: string[];
}

/** create → alice joins → power levels → join rules → the `joined` users join. */
function room(opts: RoomOptions = {}): TestRoom {
  const r = new TestRoom();
  r.ok('m.room.create', alice, { room_version: '11', ...opts.createContent }, '');
  r.member(alice, alice, 'join');
  if (opts.pl !== null) r.ok('m.room.power_levels', alice, opts.pl ?? { users: { [alice]: 100 } }, '');
  const rule = opts.joinRule === undefined ? 'public' : opts.joinRule;
  if (rule !== null) r.ok('m.room.join_rules', alice, { join_rule: rule }, '');
  for (const u of opts.joined ?? []) {
    if (rule !== 'public') r.member(alice, u, 'invite');
    r.member(u, u, 'join');
  }
  return r;
}

/** Levels used by moderation tests: alice 100, bob 50 (moderator), carol/dave 0. */
const modLevels = (more: JsonObject = {}): JsonObject => ({ users: { [alice]: 100, [bob]: 50 }, ...more });

describe('auth events selection', () => {
  it('is empty for m.room.create', () => {
    assert.deepEqual(authEventKeys('m.room.create', '', alice, {}), []);
  });

  it('picks create, power levels and the sender for a message', () => {
    assert.deepEqual(authEventKeys('m.room.message', undefined, bob, { body: 'x' }), [
      ['m.room.create', ''],
      ['m.room.power_levels', ''],
      ['m.room.member', bob],
    ]);
  });

  it('adds the target and join rules for join/invite/knock, not for leave/ban', () => {
    assert.deepEqual(authEventKeys('m.room.member', carol, bob, { membership: 'invite' }).slice(3), [
      ['m.room.member', carol],
      ['m.room.join_rules', ''],
    ]);
    assert.deepEqual(authEventKeys('m.room.member', carol, bob, { membership: 'ban' }).slice(3), [['m.room.member', carol]]);
    assert.deepEqual(authEventKeys('m.room.member', bob, bob, { membership: 'knock' }).slice(3), [['m.room.join_rules', '']]);
  });

  it('does not repeat the sender when it is the target', () => {
    assert.equal(authEventKeys('m.room.member', bob, bob, { membership: 'join' }).length, 4);
  });

  it('adds the m.room.third_party_invite of the token for third-party invites', () => {
    const keys = authEventKeys('m.room.member', carol, bob, { membership: 'invite', third_party_invite: { signed: { token: 'tok', mxid: carol } } });
    assert.deepEqual(keys.at(-1), ['m.room.third_party_invite', 'tok']);
  });

  it('adds the authorising user for restricted joins', () => {
    const keys = authEventKeys('m.room.member', carol, carol, { membership: 'join', join_authorised_via_users_server: bob });
    assert.deepEqual(keys.at(-1), ['m.room.member', bob]);
    assert.equal(authEventKeys('m.room.member', carol, carol, { membership: 'leave', join_authorised_via_users_server: bob }).length, 3);
  });

  it('survives junk content', () => {
    assert.doesNotThrow(() => authEventKeys('m.room.member', carol, bob, { membership: 'invite', third_party_invite: 5 }));
    assert.doesNotThrow(() => authEventKeys('m.room.member', carol, bob, null as unknown as JsonObject));
  });
});

describe('rule 1: m.room.create', () => {
  const state = authStateFrom([]);

  it('1.4 a create event with no prev_events is allowed', () => {
    assert.deepEqual(checkAuth(makeEvent('m.room.create', alice, { room_version: '11' }, ''), state), { ok: true });
  });

  it('1.4 room_version may be absent', () => {
    assert.equal(checkAuth(makeEvent('m.room.create', alice, {}, ''), state).ok, true);
  });

  it('1.1 a create event with prev_events is rejected', () => {
    const r = checkAuth(makeEvent('m.room.create', alice, {}, '', { prev_events: ['$x' as EventId] }), state);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /1\.1/);
  });

  it('1.1 a second create event in an existing room is rejected', () => {
    room().no(/1\.1/, 'm.room.create', alice, { room_version: '11' }, '');
  });

  it("1.2 the room ID's server must be the sender's", () => {
    const r = checkAuth(makeEvent('m.room.create', remote, {}, ''), state);
    assert.match(r.ok ? '' : r.reason, /1\.2/);
  });

  it('1.3 an unrecognised room_version is rejected', () => {
    for (const v of ['999', 11, null]) {
      const r = checkAuth(makeEvent('m.room.create', alice, { room_version: v }, ''), state);
      assert.match(r.ok ? '' : r.reason, /1\.3/, `room_version ${String(v)}`);
    }
  });
});

describe('signatures and rule 2 (auth state)', () => {
  it("an event not signed by the sender's server is rejected", () => {
    const r = room();
    r.no(/not signed by the sender's server hush\.test/, 'm.room.message', alice, { body: 'hi' }, undefined, { signatures: {} });
    r.no(/not signed/, 'm.room.message', alice, { body: 'hi' }, undefined, { signatures: { 'remote.test': { 'ed25519:x': 's' } } });
  });

  it('a custom isSignedBy verifier is consulted', () => {
    const r = room();
    const ev = r.build('m.room.message', alice, { body: 'hi' });
    assert.equal(checkAuth(ev, r.auth, { isSignedBy: () => false }).ok, false);
    assert.equal(checkAuth(ev, r.auth, { isSignedBy: () => true }).ok, true);
  });

  it('2.4 without an m.room.create event in the state, reject', () => {
    const ev = makeEvent('m.room.message', alice, { body: 'hi' });
    const r = checkAuth(ev, authStateFrom([]));
    assert.match(r.ok ? '' : r.reason, /2\.4/);
  });

  it('2.5 an auth event from another room is rejected', () => {
    const r = room();
    const ev = r.build('m.room.message', alice, { body: 'hi' }, undefined, { room_id: '!other:hush.test' as RoomId });
    const res = checkAuth(ev, r.auth);
    assert.match(res.ok ? '' : res.reason, /2\.5/);
  });

  it('malformed fields are rejections, never exceptions', () => {
    const r = room();
    const bad = [
      r.build('m.room.message', alice, null as unknown as JsonObject),
      r.build('m.room.message', 'not-a-user', { body: 'x' }),
      r.build('m.room.member', alice, { membership: 'invite', third_party_invite: [] as JsonObject[] } as JsonObject, bob),
      r.build('m.room.power_levels', alice, { users: null } as JsonObject, ''),
      { ...makeEvent('m.room.create', alice, {}, ''), prev_events: null as unknown as EventId[] },
      { ...r.build('m.room.message', alice, {}), type: 5 as unknown as string },
    ];
    for (const ev of bad) {
      let res: AuthResult | undefined;
      assert.doesNotThrow(() => (res = checkAuth(ev, r.auth)));
      assert.equal(res?.ok, false);
    }
  });
});

describe('rule 2: checkAuthEvents (an event\'s own auth_events)', () => {
  const r = room({ joined: [bob] });
  const ae = (t: string, k: string) => r.state.get(`${t}\u0000${k}`) as AuthEvent;

  it('accepts exactly the selected events', () => {
    const ev = r.build('m.room.message', bob, { body: 'x' });
    const events = ev.auth_events.map((id) => [...r.state.values()].find((e) => e.event_id === id) as AuthEvent);
    assert.deepEqual(checkAuthEvents(ev, events), { ok: true });
  });

  it('2.1 duplicate (type, state_key) entries are rejected', () => {
    const other = { ...ae('m.room.power_levels', ''), event_id: '$otherpl' };
    const ev = makeEvent('m.room.message', bob, {}, undefined, {
      auth_events: [ae('m.room.create', '').event_id, ae('m.room.power_levels', '').event_id, other.event_id] as EventId[],
    });
    const res = checkAuthEvents(ev, [ae('m.room.create', ''), ae('m.room.power_levels', ''), other]);
    assert.match(res.ok ? '' : res.reason, /2\.1/);
  });

  it('2.2 entries outside the selection are rejected', () => {
    const ev = makeEvent('m.room.message', bob, {}, undefined, {
      auth_events: [ae('m.room.create', '').event_id, ae('m.room.join_rules', '').event_id] as EventId[],
    });
    const res = checkAuthEvents(ev, [ae('m.room.create', ''), ae('m.room.join_rules', '')]);
    assert.match(res.ok ? '' : res.reason, /2\.2/);
  });

  it('2.4 no create event among the entries is rejected', () => {
    const ev = makeEvent('m.room.message', bob, {}, undefined, { auth_events: [ae('m.room.power_levels', '').event_id] as EventId[] });
    const res = checkAuthEvents(ev, [ae('m.room.power_levels', '')]);
    assert.match(res.ok ? '' : res.reason, /2\.4/);
  });

  it('2.5 entries from another room are rejected', () => {
    const foreign = { ...ae('m.room.create', ''), room_id: '!other:hush.test' as RoomId };
    const ev = makeEvent('m.room.message', bob, {}, undefined, { auth_events: [foreign.event_id] as EventId[] });
    const res = checkAuthEvents(ev, [foreign]);
    assert.match(res.ok ? '' : res.reason, /2\.5/);
  });

  it('supplied events must be the ones auth_events names', () => {
    const ev = makeEvent('m.room.message', bob, {}, undefined, { auth_events: ['$nope' as EventId] });
    assert.equal(checkAuthEvents(ev, [ae('m.room.create', '')]).ok, false);
    assert.equal(checkAuthEvents(ev, []).ok, false);
  });
});

describe('rule 3: m.federate', () => {
  it('3 a remote user may join a public room by default', () => {
    const r = room();
    r.member(remote, remote, 'join');
  });

  it('3 with m.federate false, events from other servers are rejected', () => {
    const r = room({ createContent: { 'm.federate': false } });
    r.memberNo(/rule 3/, remote, remote, 'join');
    r.member(bob, bob, 'join'); // same server as the creator
  });
});

describe('rule 4.1-4.2: member event shape and join_authorised_via_users_server signature', () => {
  it('4.1 no state_key is rejected', () => {
    room().no(/4\.1/, 'm.room.member', bob, { membership: 'join' });
  });

  it('4.1 no membership is rejected', () => {
    room().no(/4\.1/, 'm.room.member', bob, { displayname: 'Bob' }, bob);
  });

  it('4.2.1 join_authorised_via_users_server must be a user ID', () => {
    room({ joinRule: 'restricted' }).memberNo(/4\.2\.1/, carol, carol, 'join', { join_authorised_via_users_server: 'nobody' });
  });

  it("4.2.1 the event must be signed by the authorising user's server", () => {
    const r = room({ joinRule: 'restricted' });
    r.memberNo(/signed by remote\.test.*4\.2\.1/, carol, carol, 'join', { join_authorised_via_users_server: remote });
  });

  it('4.2.1 applies to any membership carrying the key', () => {
    room({ joined: [bob] }).memberNo(/4\.2\.1/, bob, bob, 'leave', { join_authorised_via_users_server: remote });
  });
});

describe('rule 4.3: joins', () => {
  it("4.3.1 the creator's join right after the create event is allowed", () => {
    const r = new TestRoom();
    r.ok('m.room.create', alice, { room_version: '11' }, '');
    r.member(alice, alice, 'join');
  });

  it('4.3.1 works when the state lookup gives events without event_id (create id computed)', () => {
    const create: UnhashedPdu = {
      auth_events: [],
      prev_events: [],
      content: { room_version: '11' },
      depth: 1,
      origin_server_ts: 1,
      room_id: ROOM,
      sender: alice,
      type: 'm.room.create',
      state_key: '',
    };
    const { privateKey } = generateKeyPairSync('ed25519');
    const signedCreate = hashAndSignEvent(create, 'hush.test', 'ed25519:k', privateKey) as Pdu;
    const createId = eventIdFor(signedCreate);
    const state: AuthState = { get: (t, k) => (t === 'm.room.create' && k === '' ? signedCreate : undefined) };
    const join = makeEvent('m.room.member', alice, { membership: 'join' }, alice, { prev_events: [createId] });
    assert.deepEqual(checkAuth(join, state), { ok: true });
    const stray = makeEvent('m.room.member', alice, { membership: 'join' }, alice, { prev_events: ['$elsewhere' as EventId] });
    assert.equal(checkAuth(stray, state).ok, false);
  });

  it('4.3.1 only for the creator: someone else joining right after create falls through and is rejected', () => {
    const r = new TestRoom();
    r.ok('m.room.create', alice, { room_version: '11' }, '');
    r.memberNo(/4\.3\.4/, bob, bob, 'join'); // no join rules yet: invite
  });

  it('4.3.1 only right after create: a creator re-join later goes through the normal rules', () => {
    const r = room({ joinRule: 'invite' });
    r.member(alice, alice, 'leave');
    r.memberNo(/4\.3\.4/, alice, alice, 'join');
  });

  it('4.3.2 a join must be sent by the joining user', () => {
    room().memberNo(/4\.3\.2/, alice, bob, 'join');
  });

  it('4.3.3 a banned user may not join, even a public room', () => {
    const r = room({ joined: [carol] });
    r.member(alice, carol, 'ban');
    r.memberNo(/4\.3\.3/, carol, carol, 'join');
  });

  it('4.3.4 invite-only: a join without an invite is rejected', () => {
    room({ joinRule: 'invite' }).memberNo(/4\.3\.4/, bob, bob, 'join');
  });

  it('4.3.4 invite-only: invite then join is allowed', () => {
    const r = room({ joinRule: 'invite' });
    r.member(alice, bob, 'invite');
    r.member(bob, bob, 'join');
  });

  it('4.3.4 a joined user may join again (profile change)', () => {
    const r = room({ joinRule: 'invite', joined: [bob] });
    r.member(bob, bob, 'join', { displayname: 'Bobby' });
  });

  it('4.3.4 knock rule: an uninvited or merely knocking user may not join', () => {
    const r = room({ joinRule: 'knock' });
    r.memberNo(/4\.3\.4/, bob, bob, 'join');
    r.member(bob, bob, 'knock');
    r.memberNo(/4\.3\.4/, bob, bob, 'join');
    r.member(alice, bob, 'invite');
    r.member(bob, bob, 'join');
  });

  it('4.3.4 no join rules event counts as invite', () => {
    const r = room({ joinRule: null });
    r.memberNo(/join rule is invite.*4\.3\.4/, bob, bob, 'join');
    r.member(alice, bob, 'invite');
    r.member(bob, bob, 'join');
  });

  for (const rule of ['restricted', 'knock_restricted']) {
    describe(`4.3.5 ${rule}`, () => {
      it('4.3.5.1 an invited user may join without an authoriser', () => {
        const r = room({ joinRule: rule });
        r.member(alice, carol, 'invite');
        r.member(carol, carol, 'join');
      });

      it('4.3.5.2 without join_authorised_via_users_server, reject', () => {
        room({ joinRule: rule }).memberNo(/4\.3\.5\.2/, carol, carol, 'join');
      });

      it('4.3.5.2 the authoriser must be joined', () => {
        const r = room({ joinRule: rule });
        r.memberNo(/not joined.*4\.3\.5\.2/, carol, carol, 'join', { join_authorised_via_users_server: dave });
      });

      it('4.3.5.2 the authoriser must have the invite level', () => {
        const r = room({ joinRule: rule, pl: modLevels({ invite: 50 }), joined: [dave] });
        r.memberNo(/may not invite.*4\.3\.5\.2/, carol, carol, 'join', { join_authorised_via_users_server: dave });
      });

      it('4.3.5.3 a joined authoriser with invite power lets the user in', () => {
        const r = room({ joinRule: rule, pl: modLevels({ invite: 50 }), joined: [bob] });
        r.member(carol, carol, 'join', { join_authorised_via_users_server: bob });
      });

      it('4.3.3 a banned user cannot use an authoriser', () => {
        const r = room({ joinRule: rule, joined: [bob] });
        r.member(alice, carol, 'ban');
        r.memberNo(/4\.3\.3/, carol, carol, 'join', { join_authorised_via_users_server: bob });
      });
    });
  }

  it('4.3.6 public: anyone may join', () => {
    room().member(bob, bob, 'join');
  });

  it('4.3.7 an unknown join rule lets nobody join', () => {
    const r = room({ joinRule: 'private' });
    r.memberNo(/4\.3\.7/, bob, bob, 'join');
    r.member(alice, bob, 'invite');
    r.memberNo(/4\.3\.7/, bob, bob, 'join');
  });

  it('4.3.7 a non-string join_rule lets nobody join', () => {
    const r = room({ joinRule: null });
    r.ok('m.room.join_rules', alice, { join_rule: 5 }, '');
    r.memberNo(/4\.3\.7/, bob, bob, 'join');
  });
});

describe('rule 4.4: invites', () => {
  it('4.4.2 the inviter must be joined', () => {
    const r = room({ joinRule: 'invite' });
    r.memberNo(/4\.4\.2/, bob, carol, 'invite');
    r.member(alice, bob, 'invite');
    r.memberNo(/4\.4\.2/, bob, carol, 'invite'); // invited is not joined
  });

  it('4.4.3 a joined user cannot be invited', () => {
    room({ joined: [bob] }).memberNo(/4\.4\.3/, alice, bob, 'invite');
  });

  it('4.4.3 a banned user cannot be invited', () => {
    const r = room();
    r.member(alice, bob, 'ban');
    r.memberNo(/4\.4\.3/, alice, bob, 'invite');
  });

  it('4.4.4 re-inviting an invited or knocking user is allowed', () => {
    const r = room({ joinRule: 'knock' });
    r.member(alice, bob, 'invite');
    r.member(alice, bob, 'invite');
    r.member(carol, carol, 'knock');
    r.member(alice, carol, 'invite');
  });

  it('4.4.4 / 4.4.5 the inviter needs the invite level', () => {
    const r = room({ pl: modLevels({ invite: 50 }), joined: [bob, carol] });
    r.memberNo(/4\.4\.5/, carol, dave, 'invite');
    r.member(bob, dave, 'invite');
  });

  it('4.4.4 invite level defaults to 0', () => {
    room({ joined: [carol] }).member(carol, dave, 'invite');
  });
});

describe('rule 4.4.1: third-party invites', () => {
  const identity = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  const signed = (mxid: string, token: string, key = identity.privateKey) => signJson({ mxid, token }, 'id.test', 'ed25519:0', key) as unknown as JsonObject;
  const tpi = (s: JsonObject) => ({ third_party_invite: { display_name: 'c...@example.com', signed: s } });

  function tpiRoom(publicKey: JsonObject = { public_key: publicKeyBase64(identity.publicKey) }): TestRoom {
    const r = room({ joinRule: 'invite', joined: [bob] });
    r.ok('m.room.third_party_invite', alice, { display_name: 'c...@example.com', key_validity_url: 'https://id.test/v', ...publicKey }, 'tok');
    return r;
  }

  it('4.4.1.7 a signature by the public_key is accepted, and the invitee can join', () => {
    const r = tpiRoom();
    r.member(alice, carol, 'invite', tpi(signed(carol, 'tok')));
    r.member(carol, carol, 'join');
  });

  it('4.4.1.7 keys in public_keys (URL-safe base64) are accepted too', () => {
    const urlSafe = publicKeyBase64(identity.publicKey).replace(/\+/g, '-').replace(/\//g, '_');
    const r = tpiRoom({ public_key: publicKeyBase64(stranger.publicKey), public_keys: [{ public_key: 'garbage' }, { public_key: urlSafe }] });
    r.member(alice, carol, 'invite', tpi(signed(carol, 'tok')));
  });

  it('4.4.1.8 a signature by another key is rejected', () => {
    tpiRoom().memberNo(/4\.4\.1\.8/, alice, carol, 'invite', tpi(signed(carol, 'tok', stranger.privateKey)));
  });

  it('4.4.1.8 a tampered signed object is rejected', () => {
    tpiRoom().memberNo(/4\.4\.1\.8/, alice, dave, 'invite', tpi({ ...signed(carol, 'tok'), mxid: dave }));
  });

  it('4.4.1.1 a banned invitee is rejected', () => {
    const r = tpiRoom();
    r.member(alice, carol, 'ban');
    r.memberNo(/4\.4\.1\.1/, alice, carol, 'invite', tpi(signed(carol, 'tok')));
  });

  it('4.4.1.2 third_party_invite without signed is rejected', () => {
    tpiRoom().memberNo(/4\.4\.1\.2/, alice, carol, 'invite', { third_party_invite: { display_name: 'x' } });
    tpiRoom().memberNo(/4\.4\.1\.2/, alice, carol, 'invite', { third_party_invite: 'x' });
  });

  it('4.4.1.3 signed without mxid or token is rejected', () => {
    tpiRoom().memberNo(/4\.4\.1\.3/, alice, carol, 'invite', tpi({ token: 'tok' }));
    tpiRoom().memberNo(/4\.4\.1\.3/, alice, carol, 'invite', tpi({ mxid: carol }));
  });

  it('4.4.1.4 mxid must match the state_key', () => {
    tpiRoom().memberNo(/4\.4\.1\.4/, alice, dave, 'invite', tpi(signed(carol, 'tok')));
  });

  it('4.4.1.5 a token with no m.room.third_party_invite is rejected', () => {
    tpiRoom().memberNo(/4\.4\.1\.5/, alice, carol, 'invite', tpi(signed(carol, 'other')));
  });

  it('4.4.1.6 only the sender of the m.room.third_party_invite may complete it', () => {
    tpiRoom().memberNo(/4\.4\.1\.6/, bob, carol, 'invite', tpi(signed(carol, 'tok')));
  });

  it('6.1 sending m.room.third_party_invite needs the invite level', () => {
    const r = room({ pl: modLevels({ invite: 50 }), joined: [bob, carol] });
    r.no(/6\.1/, 'm.room.third_party_invite', carol, { public_key: 'x' }, 'tok');
    r.ok('m.room.third_party_invite', bob, { public_key: 'x' }, 'tok');
  });

  it('5 then 6: a non-member cannot send m.room.third_party_invite', () => {
    room().no(/rule 5/, 'm.room.third_party_invite', carol, { public_key: 'x' }, 'tok');
  });

  it('6 m.room.third_party_invite skips rules 7 and 8 (events level and @ state keys)', () => {
    const r = room({ pl: modLevels({ events: { 'm.room.third_party_invite': 100 } }), joined: [carol] });
    r.ok('m.room.third_party_invite', carol, { public_key: 'x' }, '@someone:hush.test');
  });
});

describe('rule 4.5: leave, kick, unban', () => {
  it('4.5.1 a joined user may leave', () => {
    room({ joined: [bob] }).member(bob, bob, 'leave');
  });

  it('4.5.1 an invited user may reject the invite', () => {
    const r = room({ joinRule: 'invite' });
    r.member(alice, bob, 'invite');
    r.member(bob, bob, 'leave');
  });

  it('4.5.1 a knocking user may rescind the knock', () => {
    const r = room({ joinRule: 'knock' });
    r.member(bob, bob, 'knock');
    r.member(bob, bob, 'leave');
  });

  it('4.5.1 a banned user cannot leave (unban themselves)', () => {
    const r = room({ joined: [bob] });
    r.member(alice, bob, 'ban');
    r.memberNo(/4\.5\.1/, bob, bob, 'leave');
  });

  it('4.5.1 a user who never joined cannot leave', () => {
    room().memberNo(/4\.5\.1/, bob, bob, 'leave');
  });

  it('4.5.2 the kicker must be joined', () => {
    const r = room({ pl: modLevels(), joined: [bob, carol] });
    r.member(bob, bob, 'leave');
    r.memberNo(/4\.5\.2/, bob, carol, 'leave');
  });

  it('4.5.4 kick with the kick level over a lower user is allowed', () => {
    room({ pl: modLevels(), joined: [bob, carol] }).member(bob, carol, 'leave');
  });

  it('4.5.4 kicking an invited user (revoking the invite) is allowed', () => {
    const r = room({ pl: modLevels(), joined: [bob] });
    r.member(alice, carol, 'invite');
    r.member(bob, carol, 'leave');
  });

  it('4.5.5 kick without the kick level is rejected', () => {
    room({ pl: modLevels(), joined: [bob, carol, dave] }).memberNo(/4\.5\.5/, carol, dave, 'leave');
  });

  it('4.5.5 cannot kick users at an equal or higher level', () => {
    const r = room({ pl: modLevels({ users: { [alice]: 100, [bob]: 50, [carol]: 50 } }), joined: [bob, carol] });
    r.memberNo(/4\.5\.5/, bob, carol, 'leave');
    r.memberNo(/4\.5\.5/, bob, alice, 'leave');
  });

  it('4.5.5 the kick level comes from the power levels', () => {
    const r = room({ pl: modLevels({ kick: 75 }), joined: [bob, carol] });
    r.memberNo(/4\.5\.5/, bob, carol, 'leave');
    r.member(alice, carol, 'leave');
  });

  it('4.5.3 unban needs the ban level', () => {
    const r = room({ pl: modLevels({ users: { [alice]: 100, [bob]: 50 }, kick: 50, ban: 75 }), joined: [bob] });
    r.member(alice, carol, 'ban');
    r.memberNo(/4\.5\.3/, bob, carol, 'leave');
    r.member(alice, carol, 'leave');
  });

  it('4.5.4 unban also needs the kick level (ban level alone is not enough)', () => {
    const r = room({ pl: modLevels({ users: { [alice]: 100, [bob]: 50 }, kick: 75, ban: 50 }), joined: [bob] });
    r.member(bob, carol, 'ban');
    r.memberNo(/4\.5\.5/, bob, carol, 'leave');
  });
});

describe('rule 4.6: bans', () => {
  it('4.6.1 the banner must be joined', () => {
    const r = room({ pl: modLevels(), joinRule: 'invite' });
    r.member(alice, bob, 'invite');
    r.memberNo(/4\.6\.1/, bob, carol, 'ban');
  });

  it('4.6.2 ban level and a higher level than the target: allowed, also for non-members', () => {
    const r = room({ pl: modLevels(), joined: [bob, carol] });
    r.member(bob, carol, 'ban');
    r.member(bob, dave, 'ban');
  });

  it('4.6.3 ban below the ban level is rejected', () => {
    room({ pl: modLevels(), joined: [carol, dave] }).memberNo(/4\.6\.3/, carol, dave, 'ban');
  });

  it('4.6.3 cannot ban an equal or higher user', () => {
    const r = room({ pl: modLevels({ users: { [alice]: 100, [bob]: 50, [carol]: 50 } }), joined: [bob, carol] });
    r.memberNo(/4\.6\.3/, bob, carol, 'ban');
    r.memberNo(/4\.6\.3/, bob, alice, 'ban');
    r.memberNo(/4\.6\.3/, bob, bob, 'ban');
  });
});

describe('rule 4.7: knocks', () => {
  it('4.7.1 knocking needs join rule knock or knock_restricted', () => {
    room({ joinRule: 'invite' }).memberNo(/4\.7\.1/, bob, bob, 'knock');
    room({ joinRule: 'public' }).memberNo(/4\.7\.1/, bob, bob, 'knock');
    room({ joinRule: 'restricted' }).memberNo(/4\.7\.1/, bob, bob, 'knock');
  });

  it('4.7.3 knock and knock_restricted allow a knock from a non-member', () => {
    room({ joinRule: 'knock' }).member(bob, bob, 'knock');
    room({ joinRule: 'knock_restricted' }).member(bob, bob, 'knock');
  });

  it('4.7.3 a user who left may knock again', () => {
    const r = room({ joinRule: 'knock', joined: [bob] });
    r.member(bob, bob, 'leave');
    r.member(bob, bob, 'knock');
  });

  it('4.7.2 a knock must be sent by the knocking user', () => {
    room({ joinRule: 'knock' }).memberNo(/4\.7\.2/, alice, bob, 'knock');
  });

  it('4.7.4 banned, invited or joined users cannot knock', () => {
    const r = room({ joinRule: 'knock', joined: [bob] });
    r.memberNo(/4\.7\.4/, bob, bob, 'knock');
    r.member(alice, carol, 'invite');
    r.memberNo(/4\.7\.4/, carol, carol, 'knock');
    r.member(alice, dave, 'ban');
    r.memberNo(/4\.7\.4/, dave, dave, 'knock');
  });
});

describe('rule 4.8: unknown membership', () => {
  it('4.8 an unknown membership value is rejected', () => {
    room({ joined: [bob] }).memberNo(/4\.8/, bob, bob, 'dance');
  });

  it('4.8 a non-string membership is rejected', () => {
    room({ joined: [bob] }).no(/4\.8/, 'm.room.member', bob, { membership: 1 }, bob);
  });
});

describe('rules 5, 7, 8: other events', () => {
  it('5 a sender who is not joined is rejected', () => {
    room().no(/rule 5/, 'm.room.message', bob, { body: 'hi' });
  });

  it('5 an invited sender is not joined', () => {
    const r = room({ joinRule: 'invite' });
    r.member(alice, bob, 'invite');
    r.no(/rule 5/, 'm.room.message', bob, { body: 'hi' });
  });

  it('5 a sender who left is not joined', () => {
    const r = room({ joined: [bob] });
    r.member(bob, bob, 'leave');
    r.no(/rule 5/, 'm.room.message', bob, { body: 'hi' });
  });

  it('7 messages need events_default', () => {
    const r = room({ pl: modLevels({ events_default: 10 }), joined: [bob, carol] });
    r.no(/rule 7/, 'm.room.message', carol, { body: 'hi' });
    r.ok('m.room.message', bob, { body: 'hi' });
  });

  it('7 state events need state_default', () => {
    const r = room({ pl: modLevels(), joined: [bob, carol] });
    r.no(/needs power level 50.*rule 7/, 'm.room.topic', carol, { topic: 't' }, '');
    r.ok('m.room.topic', bob, { topic: 't' }, '');
  });

  it('7 events overrides the defaults, for state and messages', () => {
    const r = room({ pl: modLevels({ events: { 'm.room.topic': 0, 'm.reaction': 60 } }), joined: [bob, carol] });
    r.ok('m.room.topic', carol, { topic: 't' }, '');
    r.no(/rule 7/, 'm.reaction', bob, {});
  });

  it('7 the same type counts as state or message by the presence of state_key', () => {
    const r = room({ pl: modLevels(), joined: [carol] });
    r.ok('com.example.thing', carol, {});
    r.no(/rule 7/, 'com.example.thing', carol, {}, '');
  });

  it('7 without a power levels event: the creator has 100, others 0, state needs 50', () => {
    const r = room({ pl: null, joined: [bob] });
    r.ok('m.room.name', alice, { name: 'n' }, '');
    r.no(/needs power level 50.*rule 7/, 'm.room.name', bob, { name: 'n' }, '');
    r.ok('m.room.message', bob, { body: 'hi' });
  });

  it('7 m.room.redaction needs only its event level, not the redact level', () => {
    const r = room({ pl: modLevels({ redact: 100 }), joined: [carol] });
    r.ok('m.room.redaction', carol, { redacts: '$someone-else' });
  });

  it('7 m.room.redaction can be restricted through events', () => {
    const r = room({ pl: modLevels({ events: { 'm.room.redaction': 50 } }), joined: [bob, carol] });
    r.no(/rule 7/, 'm.room.redaction', carol, { redacts: '$x' });
    r.ok('m.room.redaction', bob, { redacts: '$x' });
  });

  it('8 a state_key starting with @ must be the sender', () => {
    const r = room({ pl: modLevels({ state_default: 0 }), joined: [carol] });
    r.no(/rule 8/, 'com.example.profile', carol, {}, bob);
    r.ok('com.example.profile', carol, {}, carol);
    r.ok('com.example.profile', carol, {}, 'not-a-user');
    r.no(/rule 8/, 'com.example.profile', alice, {}, `${carol}_suffix`);
  });
});

describe('rule 9: m.room.power_levels', () => {
  const pl = (more: JsonObject = {}): JsonObject => ({ users: { [alice]: 100, [bob]: 50, [carol]: 10 }, ...more });

  it('9.1 string levels are rejected (v10+ requires integers)', () => {
    room().no(/9\.1/, 'm.room.power_levels', alice, pl({ ban: '50' }), '');
  });

  it('9.2 string values in events or notifications are rejected', () => {
    room().no(/9\.2/, 'm.room.power_levels', alice, pl({ events: { 'm.room.name': '50' } }), '');
    room().no(/9\.2/, 'm.room.power_levels', alice, pl({ notifications: { room: '50' } }), '');
  });

  it('9.3 users keys must be user IDs and values integers', () => {
    room().no(/9\.3/, 'm.room.power_levels', alice, { users: { alice: 100 } }, '');
    room().no(/9\.3/, 'm.room.power_levels', alice, { users: { [alice]: '100' } }, '');
  });

  it('9.1-9.3 apply to the first power levels event too', () => {
    const r = room({ pl: null });
    r.no(/9\.1/, 'm.room.power_levels', alice, { users: { [alice]: 100 }, kick: 5.5 }, '');
  });

  it('9.4 the first power levels event may set anything', () => {
    const r = room({ pl: null, joined: [bob] });
    r.ok('m.room.power_levels', alice, { users: { [alice]: 100, [bob]: 500 }, ban: 1000 }, '');
  });

  it('7 changing power levels needs its event level', () => {
    const r = room({ pl: pl({ events: { 'm.room.power_levels': 100 } }), joined: [bob] });
    r.no(/rule 7/, 'm.room.power_levels', bob, pl({ events: { 'm.room.power_levels': 100 } }), '');
  });

  describe('changes by a level-50 sender', () => {
    const base = pl({ state_default: 0, kick: 50, ban: 75, events: { 'm.room.name': 50, 'm.room.tombstone': 100 }, notifications: { room: 60 } });
    const r0 = () => room({ pl: base, joined: [bob, carol, dave] });
    const change = (patch: (c: JsonObject) => void): JsonObject => {
      const c = structuredClone(base);
      patch(c);
      return c;
    };
    const users = (c: JsonObject) => c['users'] as JsonObject;
    const events = (c: JsonObject) => c['events'] as JsonObject;

    it('9.10 an unchanged copy is allowed', () => {
      r0().ok('m.room.power_levels', bob, base, '');
    });

    it('9.5.2 cannot raise a top-level level above own level', () => {
      r0().no(/9\.5\.2/, 'm.room.power_levels', bob, change((c) => (c['kick'] = 51)), '');
    });

    it('9.5.1 cannot change a top-level level that is above own level', () => {
      r0().no(/9\.5\.1/, 'm.room.power_levels', bob, change((c) => (c['ban'] = 50)), '');
    });

    it('9.5.1 removing a top-level level above own level is a change', () => {
      r0().no(/9\.5\.1/, 'm.room.power_levels', bob, change((c) => delete c['ban']), '');
    });

    it('9.5 adding, lowering or removing a level at or below own level is allowed', () => {
      r0().ok('m.room.power_levels', bob, change((c) => (c['invite'] = 50)), '');
      r0().ok('m.room.power_levels', bob, change((c) => (c['kick'] = 10)), '');
      r0().ok('m.room.power_levels', bob, change((c) => delete c['kick']), '');
    });

    it('9.6.1 cannot change or remove an events entry above own level', () => {
      r0().no(/9\.6\.1/, 'm.room.power_levels', bob, change((c) => (events(c)['m.room.tombstone'] = 50)), '');
      r0().no(/9\.6\.1/, 'm.room.power_levels', bob, change((c) => delete events(c)['m.room.tombstone']), '');
    });

    it('9.7.1 cannot add or raise an events entry above own level', () => {
      r0().no(/9\.7\.1/, 'm.room.power_levels', bob, change((c) => (events(c)['m.room.topic'] = 51)), '');
      r0().no(/9\.7\.1/, 'm.room.power_levels', bob, change((c) => (events(c)['m.room.name'] = 51)), '');
    });

    it('9.6 / 9.7 events entries at or below own level may change', () => {
      r0().ok('m.room.power_levels', bob, change((c) => (events(c)['m.room.topic'] = 50)), '');
      r0().ok('m.room.power_levels', bob, change((c) => delete events(c)['m.room.name']), '');
    });

    it('9.6.1 / 9.7.1 notifications follow the same rules', () => {
      r0().no(/9\.6\.1/, 'm.room.power_levels', bob, change((c) => ((c['notifications'] as JsonObject)['room'] = 0)), '');
      r0().no(/9\.7\.1/, 'm.room.power_levels', bob, change((c) => ((c['notifications'] as JsonObject)['keyword'] = 99)), '');
    });

    it('9.8.1 cannot change a user at the same level', () => {
      const r = room({ pl: pl({ users: { [alice]: 100, [bob]: 50, [dave]: 50 } }), joined: [bob, dave] });
      r.no(/9\.8\.1/, 'm.room.power_levels', bob, pl({ users: { [alice]: 100, [bob]: 50, [dave]: 0 } }), '');
    });

    it('9.8.1 cannot change or remove a user at a higher level', () => {
      r0().no(/9\.8\.1/, 'm.room.power_levels', bob, change((c) => (users(c)[alice] = 50)), '');
      r0().no(/9\.8\.1/, 'm.room.power_levels', bob, change((c) => delete users(c)[alice]), '');
    });

    it('9.8 a user may demote themself', () => {
      r0().ok('m.room.power_levels', bob, change((c) => (users(c)[bob] = 20)), '');
      r0().ok('m.room.power_levels', bob, change((c) => delete users(c)[bob]), '');
    });

    it('9.9.1 cannot raise anyone, self included, above own level', () => {
      r0().no(/9\.9\.1/, 'm.room.power_levels', bob, change((c) => (users(c)[carol] = 51)), '');
      r0().no(/9\.9\.1/, 'm.room.power_levels', bob, change((c) => (users(c)[bob] = 51)), '');
      r0().no(/9\.9\.1/, 'm.room.power_levels', bob, change((c) => (users(c)[dave] = 100)), '');
    });

    it('9.9 may promote a lower user up to own level, or add/remove lower users', () => {
      r0().ok('m.room.power_levels', bob, change((c) => (users(c)[carol] = 50)), '');
      r0().ok('m.room.power_levels', bob, change((c) => (users(c)[dave] = 40)), '');
      r0().ok('m.room.power_levels', bob, change((c) => delete users(c)[carol]), '');
    });

    it('the new levels apply to the next event', () => {
      const r = r0();
      r.ok('m.room.power_levels', bob, change((c) => (users(c)[carol] = 50)), '');
      r.member(carol, dave, 'leave'); // carol can kick now
    });
  });

  it('9.8 the creator has no special standing once power levels exist', () => {
    const r = room({ pl: { users: { [alice]: 50, [bob]: 100 } }, joined: [bob] });
    r.no(/9\.8\.1/, 'm.room.power_levels', alice, { users: { [alice]: 50, [bob]: 0 } }, '');
    r.ok('m.room.power_levels', bob, { users: { [alice]: 0, [bob]: 100 } }, '');
  });
});
