// Unit tests of reading a room's name from an invite's stripped state, and of the reason shown
// with a hidden invite.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hiddenReason, inviteRoomName } from './invites.ts';

const ev = (type: string, content: Record<string, unknown>, state_key = '') => ({ type, state_key, sender: '@a:x.example', content });

test('inviteRoomName: the m.room.name of the stripped state, if it is a non-empty string', () => {
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.create', {}), ev('m.room.name', { name: 'Party' })] } }), 'Party');
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.name', { name: '' })] } }), undefined);
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.name', { name: 7 })] } }), undefined);
  assert.equal(inviteRoomName({ invite_state: { events: [ev('m.room.name', { name: 'Other' }, 'x')] } }), undefined);
  assert.equal(inviteRoomName({ invite_state: { events: [] } }), undefined);
});

test('hiddenReason: the note of the entry that hid the invite — its inviter, their server, or the room', () => {
  const reasons = { '@bob:bad.example': 'pest', 'bad.example': 'spam server', '!r:x.example': 'noisy' };
  const inv = (rule: string) => ({ rule, inviter: '@bob:bad.example', room_id: '!r:x.example' });
  assert.equal(hiddenReason(inv('m.ignored_invites ignored_user_ids'), reasons), 'pest');
  assert.equal(hiddenReason(inv('m.ignored_invites ignored_servers'), reasons), 'spam server');
  assert.equal(hiddenReason(inv('m.ignored_room_list / m.ignored_invites ignored_room_ids'), reasons), 'noisy');
  assert.equal(hiddenReason(inv('m.invite_permission_config default_action block'), reasons), undefined);
  assert.equal(hiddenReason(inv('m.ignored_invites ignored_servers'), {}), undefined);
});

