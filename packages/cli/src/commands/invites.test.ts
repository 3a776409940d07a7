// Unit tests of reading a room's name from an invite's stripped state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inviteRoomName } from './invites.ts';

const ev = (type: string, content: Record<string, unknown>, state_key = '') => ({ type, state_key, sender: '@a:x.example', content });

test('inviteRoomName: the m.room.name of the stripped state, if it is a non-empty string', () => {
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.create', {}), ev('m.room.name', { name: 'Party' })] } }), 'Party');
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.name', { name: '' })] } }), undefined);
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.name', { name: 7 })] } }), undefined);
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.name', { name: 'Other' }, 'x')] } }), undefined);
  assert.equal(inviteRoomName({ invite_state: { events: [] } }), undefined);
});
