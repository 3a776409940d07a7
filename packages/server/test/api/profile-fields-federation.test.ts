// Extended profile fields over federation (query.yaml queryProfile, v1.16): our answer to a signed
// /query/profile carries m.tz and custom fields, one field on request, {} for an unset one, 404
// for a field name outside the spec's grammar; a remote user's whole profile reaches our clients
// through ProfileFieldsService.remote (sanitised by outbound/profile.ts, tested beside it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, V3, enc } from '../federation-fixture.ts';

test('a signed /query/profile answers the extended fields too', async () => {
  const c = await setup();
  const { t, alice } = c;
  const put = (key: string, value: unknown) => t.req('PUT', `${V3}/profile/${enc(alice.userId)}/${enc(key)}`, { token: alice.token, body: { [key]: value } });
  assert.equal((await put('displayname', 'Alice')).status, 200);
  assert.equal((await put('m.tz', 'Europe/Paris')).status, 200);
  assert.equal((await put('org.example.job', { title: 'Keeper' })).status, 200);
  const uri = `/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId)}`;
  const all = await c.get(uri);
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(all.json, { displayname: 'Alice', 'm.tz': 'Europe/Paris', 'org.example.job': { title: 'Keeper' } });
  assert.deepEqual((await c.get(`${uri}&field=m.tz`)).json, { 'm.tz': 'Europe/Paris' });
  assert.deepEqual((await c.get(`${uri}&field=org.example.job`)).json, { 'org.example.job': { title: 'Keeper' } });
  assert.deepEqual((await c.get(`${uri}&field=org.example.unset`)).json, {}, 'unset: left out');
  assert.equal((await c.get(`${uri}&field=nope`)).json.errcode, 'M_NOT_FOUND', 'not a profile key');

  // A remote user's profile comes whole from its server (here a stand-in for the federation fetch).
  const asked: string[] = [];
  t.services.profileFields.remote = async (userId) => {
    asked.push(userId);
    return { displayname: 'Bob', 'm.tz': 'Asia/Tokyo', 'org.example.team': 'blue' };
  };
  const bob = '@bob:elsewhere.example';
  assert.deepEqual((await t.req('GET', `${V3}/profile/${enc(bob)}`, { token: alice.token })).json, { displayname: 'Bob', 'm.tz': 'Asia/Tokyo', 'org.example.team': 'blue' });
  assert.deepEqual((await t.req('GET', `${V3}/profile/${enc(bob)}/m.tz`, { token: alice.token })).json, { 'm.tz': 'Asia/Tokyo' });
  assert.deepEqual(asked, [bob, bob]);
});
