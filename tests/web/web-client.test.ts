// The web client in a real browser (Debian's chromium via playwright-core) against a real
// `hush serve`: two people in two browser contexts. Ignore from the member list and from a message
// (with its confirmation), messages vanish and come back on un-ignore, typing stops; blocking
// invites gives the inviter M_INVITE_BLOCKED; the hidden-invites page names the rule and "Show
// again" brings the invite back; mute collapses; replies to and permalinks of an ignored user's
// messages are placeholders; keyboard use, phone width, an import of 5,000 ids with progress.
// Screenshots of each screen go to $HUSH_SCREENSHOTS_DIR (docs/screenshots when refreshing them).

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { client, startHush, type HushProcess } from '../support/server.ts';
import { steps, V3, enc } from '../e2e/support/steps.ts';
import { expect } from './support/expect.ts';
import { launch, openRoom, pageErrors, roomLink, shot, shownBodies, signIn } from './support/browser.ts';

let hs: HushProcess;
let browser: Browser;
let s: ReturnType<typeof steps>;

before(async () => {
  hs = await startHush();
  s = steps(client(hs.baseUrl));
  browser = await launch();
});
afterEach(() => assert.deepEqual(pageErrors.splice(0), [], 'no uncaught errors in the page'));
after(async () => {
  await browser?.close();
  await hs?.stop();
});

describe('web client', () => {
  test('hush serve serves the page with a content security policy; unknown assets are 404', async () => {
    const page = await fetch(`${hs.baseUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page loads a hashed script');
    const js = await fetch(`${hs.baseUrl}${script}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${hs.baseUrl}/assets/..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${hs.baseUrl}/assets/nope.js`)).status, 404);
  });

  test('a wrong password says so; signing in shows the room list with unread counts', async () => {
    const { alice, bob, room } = await s.trio('w1');
    await s.send(bob, room, 'one');
    await s.send(bob, room, 'two');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(hs.baseUrl);
    await shot(page, 'login');
    await page.getByLabel('User').fill('w1_alice');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(async () => (await page.getByRole('alert').textContent())?.includes('Wrong user name or password') ?? false, 'wrong password message');
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(() => roomLink(page, room).isVisible(), 'room listed');
    await expect(async () => (await roomLink(page, room).locator('.badge').textContent()) === '2', 'two unread');
    await context.close();
    void alice;
  });

  test('ignore from the member list: the confirmation says what happens, messages and typing vanish; un-ignore in Settings brings them back', async () => {
    const { alice, bob, room } = await s.trio('w2');
    for (const body of ['bob 1', 'bob 2', 'bob 3']) await s.send(bob, room, body);
    await s.send(alice, room, 'alice 1');
    const a = await signIn(browser, hs.baseUrl, 'w2_alice');
    const b = await signIn(browser, hs.baseUrl, 'w2_bob');
    await openRoom(a.page, room);
    await openRoom(b.page, room);
    // bob types and writes from his own browser; alice sees both.
    await b.page.locator('#composer').fill('typed in the browser');
    await b.page.getByRole('button', { name: 'Send' }).click();
    await expect(async () => (await shownBodies(a.page)).includes('typed in the browser'), "bob's browser message reaches alice");
    await s.typing(bob, room, true);
    await expect(async () => (await a.page.locator('.typing').textContent())?.includes('w2_bob') ?? false, 'bob typing shown');
    const alices = (await a.page.locator('.message[data-sender="@w2_alice:localhost"]').getAttribute('data-event'))!;
    await s.receipt(bob, room, alices);
    const seen = a.page.locator(`.message[data-event="${alices}"] .receipts`);
    await expect(async () => (await seen.textContent())?.includes('w2_bob') ?? false, "bob's read receipt shown");

    await a.page.locator('[data-member="@w2_bob:localhost"]').getByRole('button', { name: 'Ignore @w2_bob:localhost' }).click();
    const dialog = a.page.getByRole('dialog');
    await expect(() => dialog.isVisible(), 'confirmation shown');
    const explained = (await dialog.textContent()) ?? '';
    assert.match(explained, /messages, reactions, invites, typing and read receipts are hidden/);
    assert.match(explained, /They are not told/);
    await shot(a.page, 'ignore-confirm');
    await dialog.getByRole('button', { name: 'Ignore', exact: true }).click();
    await expect(async () => !(await shownBodies(a.page)).some((b) => b.startsWith('bob ')), "bob's messages vanish");
    assert.deepEqual(await shownBodies(a.page), ['alice 1']);
    await expect(async () => !((await a.page.locator('.typing').textContent()) ?? '').includes('w2_bob'), 'bob typing gone');
    assert.equal(await seen.count(), 0, "bob's read receipt gone");
    await s.send(bob, room, 'bob after');
    await s.send(alice, room, 'alice 2');
    await expect(async () => (await shownBodies(a.page)).includes('alice 2'), 'later message arrives');
    assert.ok(!(await shownBodies(a.page)).includes('bob after'));
    await shot(a.page, 'room-after-ignore');

    await a.page.getByRole('link', { name: 'Ignored users' }).click();
    await expect(() => a.page.locator('[data-user="@w2_bob:localhost"]').isVisible(), 'bob listed as ignored');
    await shot(a.page, 'settings-ignored');
    await a.page.getByRole('button', { name: 'Stop ignoring @w2_bob:localhost' }).click();
    await expect(async () => (await a.page.locator('[data-user]').count()) === 0, 'list empty');
    await openRoom(a.page, room);
    await expect(async () => {
      const shown = await shownBodies(a.page);
      return ['bob 1', 'bob 2', 'bob 3', 'bob after'].every((b) => shown.includes(b));
    }, "bob's earlier messages come back");
    await a.context.close();
    await b.context.close();
  });

  test('ignore from a message; Settings → Ignored users checks an id as it is typed and asks before ignoring', async () => {
    const { bob, carol, room } = await s.trio('w3');
    await s.send(bob, room, 'from bob');
    await s.send(carol, room, 'from carol');
    const a = await signIn(browser, hs.baseUrl, 'w3_alice');
    await openRoom(a.page, room);
    await expect(async () => (await shownBodies(a.page)).includes('from carol'), 'messages shown');
    await a.page.locator('.message[data-sender="@w3_carol:localhost"]').getByRole('button', { name: 'Ignore @w3_carol:localhost' }).click();
    await a.page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.ok((await shownBodies(a.page)).includes('from carol'), 'cancel changes nothing');
    await a.page.locator('.message[data-sender="@w3_carol:localhost"]').getByRole('button', { name: 'Ignore @w3_carol:localhost' }).click();
    await a.page.getByRole('dialog').getByRole('button', { name: 'Ignore', exact: true }).click();
    await expect(async () => !(await shownBodies(a.page)).includes('from carol'), "carol's message vanishes");

    await a.page.goto(`${hs.baseUrl}/#/settings/ignored`);
    const input = a.page.getByLabel('Ignore a user');
    await input.fill('not an id');
    await expect(async () => (await a.page.locator('#ignore-user-hint').textContent())?.includes('@name:server') ?? false, 'bad id flagged while typing');
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.ok(await a.page.getByRole('button', { name: 'Ignore', exact: true }).isDisabled());
    await input.fill('@w3_alice:localhost');
    await expect(async () => (await a.page.locator('#ignore-user-hint').textContent())?.includes("That's you") ?? false, 'own id refused');
    await input.fill('@w3_bob:localhost');
    await a.page.getByRole('button', { name: 'Ignore', exact: true }).click();
    await a.page.getByRole('dialog').getByRole('button', { name: 'Ignore', exact: true }).click();
    await expect(() => a.page.locator('[data-user="@w3_bob:localhost"]').isVisible(), 'bob added');
    const list = await s.get(bob, `${V3}/user/${enc('@w3_alice:localhost')}/account_data/m.ignored_user_list`);
    assert.equal(list.status, 403, "bob cannot read alice's list");
    await a.context.close();
  });

  test('block all invites: the inviter sees M_INVITE_BLOCKED in the browser', async () => {
    const [alice, bob] = await Promise.all([s.user('w4_alice'), s.user('w4_bob')]);
    void alice;
    const a = await signIn(browser, hs.baseUrl, 'w4_alice');
    await a.page.getByRole('link', { name: 'Invites' }).click();
    await a.page.getByLabel(/Nobody — block all invites/).check();
    await expect(async () => (await a.page.getByRole('status').textContent())?.includes('saved') ?? false, 'block saved');
    await shot(a.page, 'settings-invites');
    const room = await s.createRoom(bob, { name: 'Bob room' });
    const b = await signIn(browser, hs.baseUrl, 'w4_bob');
    await openRoom(b.page, room);
    await b.page.getByLabel('Invite', { exact: true }).fill('@w4_alice:localhost');
    await b.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await expect(async () => (await b.page.locator('.invite-form .status').textContent())?.includes('M_INVITE_BLOCKED') ?? false, 'inviter sees the error');
    await shot(b.page, 'invite-blocked');
    // Unblocked, the same invite goes through and alice can accept it.
    await a.page.getByLabel('Anyone').check();
    await expect(async () => (await a.page.getByRole('status').textContent())?.includes('saved') ?? false, 'unblock saved');
    await b.page.getByRole('button', { name: 'Invite', exact: true }).click();
    await expect(async () => (await b.page.locator('.invite-form .status').textContent())?.includes('Invited') ?? false, 'invite sent');
    const invite = a.page.locator(`.invites li[data-room="${room}"]`);
    await expect(() => invite.isVisible(), 'invite shown to alice');
    await invite.getByRole('button', { name: 'Accept' }).click();
    await expect(() => a.page.locator('#composer').isVisible(), 'alice joined and sees the room');
    await a.context.close();
    await b.context.close();
  });

  test('hidden invites: the page names the rule, and "Show again" brings the invite back', async () => {
    const [, bob] = await Promise.all([s.user('w5_alice'), s.user('w5_bob')]);
    const a = await signIn(browser, hs.baseUrl, 'w5_alice');
    await a.page.getByRole('link', { name: 'Invites' }).click();
    await a.page.getByLabel('Id', { exact: true }).fill('@w5_bob:localhost');
    await a.page.getByRole('button', { name: 'Add' }).click();
    await expect(async () => (await a.page.getByRole('status').textContent())?.includes('saved') ?? false, 'rule saved');
    const room = await s.createRoom(bob, { name: 'Spammy room' });
    await s.invite(bob, room, '@w5_alice:localhost');
    await s.send(bob, room, 'ping');
    await a.page.getByRole('link', { name: 'Review hidden invites' }).click();
    const row = a.page.locator(`.hidden-invites li[data-room="${room}"]`);
    await expect(() => row.isVisible(), 'hidden invite listed');
    assert.equal(await row.locator('.rule').getAttribute('data-rule'), 'm.ignored_invites ignored_user_ids');
    assert.match((await row.textContent()) ?? '', /Spammy room.*You ignore invites from @w5_bob:localhost/s);
    assert.equal(await a.page.locator(`.invites li[data-room="${room}"]`).count(), 0, 'not among pending invites');
    await shot(a.page, 'hidden-invites');
    await row.getByRole('button', { name: /Show the invite to Spammy room again/ }).click();
    await expect(() => a.page.locator(`.invites li[data-room="${room}"]`).isVisible(), 'invite back in the sidebar');
    await expect(async () => (await row.count()) === 0, 'no longer hidden');
    await a.context.close();
  });

  test('mute collapses a user\'s messages behind "show"; nothing is written to the account', async () => {
    const { alice, carol, room } = await s.trio('w6');
    await s.send(carol, room, 'carol 1');
    await s.send(carol, room, 'carol 2');
    await s.send(alice, room, 'alice');
    const a = await signIn(browser, hs.baseUrl, 'w6_alice');
    await openRoom(a.page, room);
    await expect(async () => (await shownBodies(a.page)).includes('carol 2'), 'carol shown');
    await a.page.locator('[data-member="@w6_carol:localhost"]').getByRole('button', { name: 'Mute @w6_carol:localhost' }).click();
    const fold = a.page.getByRole('button', { name: /2 messages from muted users — show/ });
    await expect(() => fold.isVisible(), 'collapsed');
    assert.deepEqual(await shownBodies(a.page), ['alice']);
    await shot(a.page, 'muted');
    await fold.click();
    await expect(async () => (await shownBodies(a.page)).includes('carol 1'), 'shown on request');
    const data = await s.get(alice, `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`);
    assert.equal(data.status, 404, 'muting wrote no ignore list');
    await a.context.close();
  });

  test("a reply to an ignored user's message and a permalink to one show a placeholder, not an error", async () => {
    const { alice, bob, carol, room } = await s.trio('w7');
    const bobs = await s.send(bob, room, 'bob original');
    await s.send(carol, room, 'carol replies', { 'm.relates_to': { 'm.in_reply_to': { event_id: bobs } } });
    await s.ignore(alice, [bob.userId]);
    const a = await signIn(browser, hs.baseUrl, 'w7_alice');
    await openRoom(a.page, room);
    const reply = a.page.locator('.message[data-sender="@w7_carol:localhost"] .quote');
    await expect(async () => (await reply.textContent())?.includes('you ignore them') ?? false, 'reply placeholder');
    await a.page.goto(`${hs.baseUrl}/#/room/${enc(room)}/${enc(bobs)}`);
    const link = a.page.getByRole('region', { name: 'Linked message' });
    await expect(async () => (await link.textContent())?.includes('whom you ignore') ?? false, 'permalink placeholder');
    assert.match((await link.textContent()) ?? '', /@w7_bob:localhost/);
    await shot(a.page, 'permalink-ignored');
    await a.context.close();
  });

  test('keyboard only: Tab reaches Ignore, Enter opens the confirmation, Escape cancels; focus is visible', async () => {
    const { bob, room } = await s.trio('w8');
    await s.send(bob, room, 'hello');
    const a = await signIn(browser, hs.baseUrl, 'w8_alice');
    await openRoom(a.page, room);
    const message = a.page.locator('.message[data-sender="@w8_bob:localhost"]');
    await message.locator('a.time').focus();
    await a.page.keyboard.press('Tab');
    const ignore = message.getByRole('button', { name: 'Ignore @w8_bob:localhost' });
    assert.ok(await ignore.evaluate((el) => el === document.activeElement), 'Tab moves to Ignore');
    const outline = await ignore.evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await a.page.keyboard.press('Enter');
    await expect(() => a.page.getByRole('dialog').isVisible(), 'dialog by keyboard');
    await a.page.keyboard.press('Escape');
    await expect(async () => !(await a.page.getByRole('dialog').isVisible()), 'Escape cancels');
    assert.ok((await shownBodies(a.page)).includes('hello'));
    await a.page.keyboard.press('Tab');
    await a.context.close();
  });

  test('phone width: one column, the room list first, a room full width', async () => {
    const { bob, room } = await s.trio('w9');
    await s.send(bob, room, 'small screen');
    const a = await signIn(browser, hs.baseUrl, 'w9_alice', 'correct horse', { width: 390, height: 800 });
    await expect(() => roomLink(a.page, room).isVisible(), 'room list shown at home');
    await shot(a.page, 'phone-rooms');
    await openRoom(a.page, room);
    assert.equal(await a.page.locator('.sidebar').isVisible(), false, 'the list gives way to the room');
    const width = await a.page.locator('.timeline').evaluate((el) => el.getBoundingClientRect().width);
    assert.ok(width > 300, `timeline uses the width (${width}px)`);
    const overflow = await a.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(overflow, false, 'no horizontal scrolling');
    await shot(a.page, 'phone-room');
    await a.context.close();
  });

  test('MSC4155 patterns and a policy room from Settings → Invites hide matching invites; a pattern-hidden one can be shown again', async () => {
    const [, bob, mod] = await Promise.all([s.user('w11_alice'), s.user('w11_bob'), s.user('w11_mod')]);
    const policy = await s.createRoom(mod, { preset: 'public_chat', name: 'Ban list' });
    await s.setState(mod, policy, 'm.policy.rule.user', { entity: '@w11_mod*', recommendation: 'm.ban', reason: 'test' }, 'rule:1');
    const a = await signIn(browser, hs.baseUrl, 'w11_alice');
    await a.page.getByRole('link', { name: 'Invites' }).click();
    await a.page.getByLabel('Hide invites from users matching').fill('@w11_b*:localhost');
    await a.page.getByRole('button', { name: 'Save patterns' }).click();
    await expect(async () => (await a.page.getByRole('status').textContent())?.includes('Saving patterns: saved') ?? false, 'patterns saved');
    await a.page.getByLabel('Room id').fill(policy);
    await a.page.getByRole('button', { name: 'Subscribe' }).click();
    await expect(() => a.page.getByRole('list', { name: 'Policy rooms' }).getByText(policy).isVisible(), 'policy room listed');
    const fromBob = await s.createRoom(bob, { name: 'Pattern room' });
    await s.invite(bob, fromBob, '@w11_alice:localhost');
    const fromMod = await s.createRoom(mod, { name: 'Policy room invite' });
    await s.invite(mod, fromMod, '@w11_alice:localhost');
    await a.page.getByRole('link', { name: 'Review hidden invites' }).click();
    const bobRow = a.page.locator(`.hidden-invites li[data-room="${fromBob}"]`);
    const modRow = a.page.locator(`.hidden-invites li[data-room="${fromMod}"]`);
    await expect(async () => (await bobRow.isVisible()) && (await modRow.isVisible()), 'both hidden');
    assert.equal(await bobRow.locator('.rule').getAttribute('data-rule'), 'org.matrix.msc4155.invite_permission_config ignored');
    assert.equal(await modRow.locator('.rule').getAttribute('data-rule'), 'm.policies m.ignore.invites m.policy.rule.user');
    assert.match((await modRow.textContent()) ?? '', /Change that setting to see it/);
    await bobRow.getByRole('button', { name: /Show the invite to Pattern room again/ }).click();
    await expect(() => a.page.locator(`.invites li[data-room="${fromBob}"]`).isVisible(), 'pattern-hidden invite back');
    assert.equal(await a.page.locator(`.invites li[data-room="${fromMod}"]`).count(), 0, 'policy-hidden invite stays hidden');
    await a.context.close();
  });

  test('importing a list of 5,000 ids shows progress and ends with all of them ignored', async () => {
    const alice = await s.user('w10_alice');
    const ids = Array.from({ length: 5000 }, (_, i) => `@spam${i}:bad.example`);
    const file = { version: 1, ignored_users: ids, ignored_invites: { users: [], servers: [], rooms: [] }, invite_permission: 'allow', msc4155: {}, policy_rooms: [] };
    const a = await signIn(browser, hs.baseUrl, 'w10_alice');
    await a.page.getByRole('link', { name: 'Ignored users' }).click();
    const seen: string[] = [];
    const watch = setInterval(() => {
      void a.page
        .locator('progress')
        .getAttribute('value')
        .then((v) => v !== null && seen.push(v), () => undefined);
    }, 20);
    await a.page.locator('input[type=file]').setInputFiles({ name: 'lists.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
    await expect(async () => (await a.page.getByRole('status').textContent())?.includes('Import finished') ?? false, 'import finished', 60_000);
    clearInterval(watch);
    assert.ok(seen.length > 0, 'a progress bar was shown');
    await expect(async () => (await a.page.locator('[data-user]').count()) === 5000, 'all 5,000 listed');
    const stored = await s.get(alice, `${V3}/user/${enc(alice.userId)}/account_data/m.ignored_user_list`);
    assert.equal(Object.keys(stored.json.ignored_users).length, 5000);
    await a.context.close();
  });
});
