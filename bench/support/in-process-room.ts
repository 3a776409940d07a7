// One homeserver in this process on a SQLite file in a temp dir (config → services → buildApp,
// driven with Fastify's inject: no sockets), M registered users and one public room they all
// joined: the set-up of the in-process send benches (send-profile.ts, send-pages.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type Session, type TestApp } from '../../packages/server/test/helpers.ts';

export interface InProcessRoom {
  t: TestApp;
  /** The SQLite file. */
  database: string;
  users: Session[];
  roomId: string;
  /** A request through inject; anything but 200 throws. */
  inject(method: 'GET' | 'PUT' | 'POST', url: string, token: string | undefined, body?: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function inProcessRoom(members: number, prefix: string): Promise<InProcessRoom> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const database = join(dir, 'hush.db');
  const t = await createTestApp({ database });
  const inject = async (method: 'GET' | 'PUT' | 'POST', url: string, token: string | undefined, body?: unknown) => {
    const res = await t.app.inject({ method, url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, payload: body === undefined ? undefined : JSON.stringify(body) });
    if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return JSON.parse(res.body) as Record<string, unknown>;
  };
  const close = async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const users: Session[] = [];
    for (let i = 0; i < members; i++) users.push(await t.register(`u${i}`));
    const roomId = (await inject('POST', '/_matrix/client/v3/createRoom', users[0]!.token, { preset: 'public_chat' }))['room_id'] as string;
    for (const u of users.slice(1)) await inject('POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, u.token, {});
    return { t, database, users, roomId, inject, close };
  } catch (e) {
    await close();
    throw e;
  }
}
