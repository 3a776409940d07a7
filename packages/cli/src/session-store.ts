// Where `hush login` keeps its session: $HUSH_CONFIG_DIR, else $XDG_CONFIG_HOME/hush, else
// ~/.config/hush — session.json, mode 0600 in a 0700 directory, replaced atomically.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '@hush/client';
import { CliError, EXIT } from './output.ts';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['HUSH_CONFIG_DIR'];
  if (explicit) return explicit;
  const xdg = env['XDG_CONFIG_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.config'), 'hush');
}

export const sessionPath = (): string => join(configDir(), 'session.json');

/** The stored session, or undefined when there is none; a damaged file is a "not logged in". */
export function readSession(): Session | undefined {
  const p = sessionPath();
  if (!existsSync(p)) return undefined;
  let s: Partial<Session> | null;
  try {
    s = JSON.parse(readFileSync(p, 'utf8')) as Partial<Session> | null;
  } catch {
    s = null;
  }
  if (typeof s?.homeserver !== 'string' || typeof s.userId !== 'string' || typeof s.accessToken !== 'string' || typeof s.deviceId !== 'string') {
    throw new CliError(`the session file ${p} is damaged: run hush login again`, EXIT.AUTH);
  }
  return { homeserver: s.homeserver, userId: s.userId, deviceId: s.deviceId, accessToken: s.accessToken };
}

/** Writes the session to a fresh 0600 file next to the old one, then renames it into place, so the
 *  token is never readable by others, not even for a moment, and a crash leaves the old file. */
export function writeSession(s: Session): void {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = join(dir, `.session.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, sessionPath());
}

export function removeSession(): void {
  rmSync(sessionPath(), { force: true });
}
