// In-process tests of push-rule editing (pushrules.yaml): get all / one / enabled / actions, PUT with
// before/after, DELETE, server-default rules protected, validation; the ruleset reaches /sync as
// m.push_rules account data; and the rules decide unread_notifications and GET /notifications.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSuiteApp, type Session, type TestApp } from '../helpers.ts';
import { roomSteps, type RoomSteps } from '../room-helpers.ts';

const V3 = '/_matrix/client/v3';
const enc = encodeURIComponent;
const RULES = `${V3}/pushrules/global`;

let t: TestApp;
let r: RoomSteps;
let alice: Session;
let bob: Session;

before(async () => {
  t = await createSuiteApp();
  r = roomSteps(t);
  alice = await t.register('alice');
  bob = await t.register('bob');
});
after(() => t.close());

const put = (s: Session, path: string, body: unknown) => t.req('PUT', `${RULES}/${path}`, { token: s.token, body });
const get = (s: Session, path: string) => t.req('GET', `${RULES}/${path}`, { token: s.token });
const ids = (list: { rule_id: string }[]) => list.map((x) => x.rule_id);

describe('push rule editing', () => {
  test('PUT a content rule, then GET it, its enabled flag and its actions; GET /pushrules/global lists it first among content rules', async () => {
    const res = await put(alice, 'content/cake', { pattern: 'cake', actions: ['notify', { set_tweak: 'sound', value: 'cakealarm.wav' }] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    const one = await get(alice, 'content/cake');
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, { rule_id: 'cake', default: false, enabled: true, pattern: 'cake', actions: ['notify', { set_tweak: 'sound', value: 'cakealarm.wav' }] });
    assert.deepEqual((await get(alice, 'content/cake/enabled')).json, { enabled: true });
    assert.deepEqual((await get(alice, 'content/cake/actions')).json, { actions: ['notify', { set_tweak: 'sound', value: 'cakealarm.wav' }] });
    const all = await t.req('GET', `${V3}/pushrules/global/`, { token: alice.token });
    assert.deepEqual(ids(all.json.content), ['cake', '.m.rule.contains_user_name']);
  });

  test('before/after place a rule next to a user rule; without them a new rule is the most important user rule (after .m.rule.master)', async () => {
    const o = (id: string) => put(alice, `override/${id}`, { conditions: [{ kind: 'event_match', key: 'content.body', pattern: id }], actions: [] });
    assert.equal((await o('a')).status, 200);
    assert.equal((await o('b')).status, 200);
    let list = (await get(alice, '')).json.override;
    assert.deepEqual(ids(list).slice(0, 3), ['.m.rule.master', 'b', 'a']);
    const c = await t.req('PUT', `${RULES}/override/c?after=a`, { token: alice.token, body: { actions: ['notify'] } });
    assert.equal(c.status, 200, c.text);
    const d = await t.req('PUT', `${RULES}/override/d?before=b&after=a`, { token: alice.token, body: { actions: ['notify'] } });
    assert.equal(d.status, 200, d.text);
    list = (await get(alice, '')).json.override;
    assert.deepEqual(ids(list).slice(0, 5), ['.m.rule.master', 'd', 'b', 'a', 'c'], 'before wins when both are given');
    assert.equal(ids(list)[5], '.m.rule.suppress_notices', 'user rules come before the other defaults');
    const bad = await t.req('PUT', `${RULES}/override/e?before=nosuch`, { token: alice.token, body: { actions: [] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.errcode, 'M_UNKNOWN');
    const relDefault = await t.req('PUT', `${RULES}/override/e?after=.m.rule.master`, { token: alice.token, body: { actions: [] } });
    assert.equal(relDefault.status, 400, 'not relative to a server-default rule');
    for (const id of ['a', 'b', 'c', 'd']) assert.equal((await t.req('DELETE', `${RULES}/override/${id}`, { token: alice.token })).status, 200);
    assert.equal((await get(alice, 'override/a')).status, 404);
  });

  test('updating a rule keeps its place and its enabled flag', async () => {
    await put(alice, 'underride/u1', { actions: ['notify'] });
    await put(alice, 'underride/u2', { actions: ['notify'] });
    await put(alice, 'underride/u1/enabled', { enabled: false });
    await put(alice, 'underride/u1', { actions: [], conditions: [{ kind: 'room_member_count', is: '>2' }] });
    const list = (await get(alice, '')).json.underride;
    assert.deepEqual(ids(list).slice(0, 2), ['u2', 'u1']);
    assert.equal(list[1].enabled, false);
    assert.deepEqual(list[1].conditions, [{ kind: 'room_member_count', is: '>2' }]);
  });

  test('server-default rules: enabled and actions can change; they cannot be created, replaced or deleted', async () => {
    assert.equal((await put(alice, 'override/.m.rule.master/enabled', { enabled: true })).status, 200);
    assert.deepEqual((await get(alice, 'override/.m.rule.master/enabled')).json, { enabled: true });
    assert.equal((await put(alice, 'override/.m.rule.master/enabled', { enabled: false })).status, 200);
    assert.equal((await put(alice, 'underride/.m.rule.message/actions', { actions: ['dont_notify'] })).status, 200);
    assert.deepEqual((await get(alice, 'underride/.m.rule.message/actions')).json, { actions: ['dont_notify'] });
    assert.equal((await put(alice, 'underride/.m.rule.message/actions', { actions: ['notify'] })).status, 200);
    const create = await put(alice, 'override/.m.rule.mine', { actions: [] });
    assert.equal(create.status, 400);
    assert.equal(create.json.errcode, 'M_INVALID_PARAM');
    const replace = await put(alice, 'override/.m.rule.master', { actions: [] });
    assert.equal(replace.status, 400);
    const del = await t.req('DELETE', `${RULES}/override/.m.rule.master`, { token: alice.token });
    assert.equal(del.status, 400);
    assert.ok((await get(alice, 'override/.m.rule.master')).status === 200, 'still there');
  });

  test('validation: bad kinds, ids, actions, conditions and patterns are 400 with a Matrix error; unknown rules 404', async () => {
    const cases: [string, unknown, number, string][] = [
      ['nosuchkind/x', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['override/x', {}, 400, 'M_MISSING_PARAM'],
      ['override/x', { actions: 'notify' }, 400, 'M_BAD_JSON'],
      ['override/x', { actions: ['shout'] }, 400, 'M_INVALID_PARAM'],
      ['override/x', { actions: [{ value: 1 }] }, 400, 'M_INVALID_PARAM'],
      ['override/x', { actions: [{ set_tweak: 'highlight', value: 'yes' }] }, 400, 'M_INVALID_PARAM'],
      ['override/x', { actions: [], conditions: [{ kind: 'event_match', key: 'type' }] }, 400, 'M_INVALID_PARAM'],
      ['override/x', { actions: [], conditions: [{ kind: 'room_member_count', is: 'many' }] }, 400, 'M_INVALID_PARAM'],
      ['override/x', { actions: [], conditions: [{ kind: 'event_property_is', key: 'content.x', value: { a: 1 } }] }, 400, 'M_INVALID_PARAM'],
      ['override/x', { actions: [], conditions: 'all' }, 400, 'M_BAD_JSON'],
      ['content/x', { actions: [] }, 400, 'M_MISSING_PARAM'],
      ['content/x', { actions: [], pattern: 3 }, 400, 'M_INVALID_PARAM'],
      ['room/not-a-room', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['sender/not-a-user', { actions: [] }, 400, 'M_INVALID_PARAM'],
      [`override/${enc('a\\b')}`, { actions: [] }, 400, 'M_INVALID_PARAM'],
    ];
    for (const [path, body, status, errcode] of cases) {
      const res = await put(alice, path, body);
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.json.errcode, errcode, `${path} ${JSON.stringify(body)}`);
    }
    const unknownCondition = await put(alice, 'override/future', { actions: ['notify'], conditions: [{ kind: 'org.example.future' }] });
    assert.equal(unknownCondition.status, 200, 'an unknown condition kind is stored (it never matches)');
    await t.req('DELETE', `${RULES}/override/future`, { token: alice.token });
    const enabled = await put(alice, 'override/.m.rule.master/enabled', { enabled: 'yes' });
    assert.equal(enabled.status, 400);
    assert.equal(enabled.json.errcode, 'M_BAD_JSON');
    for (const path of ['override/nosuch', 'override/nosuch/enabled', 'override/nosuch/actions']) {
      const res = await get(alice, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.json.errcode, 'M_NOT_FOUND');
    }
    assert.equal((await put(alice, 'override/nosuch/actions', { actions: [] })).status, 404);
    assert.equal((await put(alice, 'override/nosuch/enabled', { enabled: true })).status, 404);
    assert.equal((await t.req('DELETE', `${RULES}/override/nosuch`, { token: alice.token })).status, 404);
  });

  test("rules are per user: bob sees only the defaults, not alice's rules", async () => {
    const bobs = (await get(bob, '')).json;
    assert.deepEqual(ids(bobs.content), ['.m.rule.contains_user_name']);
    assert.equal(bobs.content[0].pattern, 'bob');
    assert.equal((await get(bob, 'content/cake')).status, 404);
  });

  test('an edit reaches the user’s /sync as m.push_rules account data (incremental), holding the whole ruleset', async () => {
    const s0 = await r.sync(alice);
    await put(alice, 'sender/@spambot:localhost', { actions: [] });
    const s1 = await r.sync(alice, { since: s0.next_batch });
    const ev = s1.account_data.events.find((e: { type: string }) => e.type === 'm.push_rules');
    assert.ok(ev, 'm.push_rules in account data');
    assert.deepEqual(ids(ev.content.global.sender), ['@spambot:localhost']);
    assert.ok(ev.content.global.underride.some((x: { rule_id: string }) => x.rule_id === '.m.rule.message'), 'defaults included');
    const direct = await t.req('PUT', `${V3}/user/${enc(alice.userId)}/account_data/m.push_rules`, { token: alice.token, body: { global: {} } });
    assert.equal(direct.status, 405, 'still managed by the server');
    await t.req('DELETE', `${RULES}/sender/${enc('@spambot:localhost')}`, { token: alice.token });
  });
});

describe('the rules decide the counts and /notifications', () => {
  test('a sender rule with no actions stops that sender counting; a content rule highlights; the master rule silences all', async () => {
    const room = await r.createRoom(alice, { preset: 'public_chat' });
    await r.join(bob, room);
    const counts = async () => (await r.sync(alice)).rooms.join[room].unread_notifications;
    await r.send(bob, room, 'plain');
    assert.deepEqual(await counts(), { notification_count: 1, highlight_count: 0 });
    await r.send(bob, room, 'I like cake');
    await put(alice, 'content/cakehl', { pattern: 'pie', actions: ['notify', { set_tweak: 'highlight' }] });
    await r.send(bob, room, 'I like pie');
    assert.deepEqual(await counts(), { notification_count: 3, highlight_count: 1 }, 'cake notifies (plain rule), pie highlights');
    const hl = await t.req('GET', `${V3}/notifications?only=highlight`, { token: alice.token });
    assert.equal(hl.status, 200, hl.text);
    assert.deepEqual(hl.json.notifications.map((n: { event: { content: { body: string } } }) => n.event.content.body), ['I like pie']);
    assert.deepEqual(hl.json.notifications[0].actions, ['notify', { set_tweak: 'highlight' }]);

    await put(alice, `sender/${enc(bob.userId)}`, { actions: [] });
    await r.send(bob, room, 'after the sender rule');
    assert.deepEqual(await counts(), { notification_count: 3, highlight_count: 1 }, 'rules apply to events written after them');
    await t.req('DELETE', `${RULES}/sender/${enc(bob.userId)}`, { token: alice.token });
    await put(alice, 'override/.m.rule.master/enabled', { enabled: true });
    await r.send(bob, room, 'silenced');
    assert.equal((await counts()).notification_count, 3);
    await put(alice, 'override/.m.rule.master/enabled', { enabled: false });
    await r.send(bob, room, 'heard again');
    assert.equal((await counts()).notification_count, 4);
    const all = await t.req('GET', `${V3}/notifications`, { token: alice.token });
    assert.deepEqual(
      all.json.notifications.filter((n: { room_id: string }) => n.room_id === room).map((n: { event: { content: { body: string } } }) => n.event.content.body),
      ['heard again', 'I like pie', 'I like cake', 'plain'],
    );
  });

  test('a notice does not count; a mention of the user in m.mentions highlights', async () => {
    const room = await r.createRoom(bob, { preset: 'public_chat' });
    await r.join(alice, room);
    await t.req('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/n1`, { token: bob.token, body: { msgtype: 'm.notice', body: 'bot says' } });
    await t.req('PUT', `${V3}/rooms/${enc(room)}/send/m.room.message/n2`, { token: bob.token, body: { msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: [alice.userId] } } });
    assert.deepEqual((await r.sync(alice)).rooms.join[room].unread_notifications, { notification_count: 1, highlight_count: 1 });
  });
});
