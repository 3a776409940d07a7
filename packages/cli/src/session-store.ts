// Where `hush login` keeps its session: $HUSH_CONFIG_DIR, else $XDG_CONFIG_HOME/hush, else
// ~/.config/hush — session.json, mode 0600 in a 0700 directory.

import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '@hush/client';

export function configDir(): string {
  const explicit = process.env['HUSH_CONFIG_DIR'];
  if (explicit) return explicit;
  const xdg = process.env['XDG_CONFIG_HOME'];
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.config'), 'hush');
}

export const sessionPath = (): string => join(configDir(), 'session.json');

export function readSession(): Session | undefined {
  const p = sessionPath();
  if (!existsSync(p)) return undefined;
  const s = JSON.parse(readFileSync(p, 'utf8')) as Partial<Session>;
  if (typeof s.homeserver !== 'string' || typeof s.userId !== 'string' || typeof s.accessToken !== 'string' || typeof s.deviceId !== 'string') return undefined;
  return s as Session;
}

export function writeSession(s: Session): void {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(sessionPath(), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  chmodSync(sessionPath(), 0o600);
}

export function removeSession(): void {
  rmSync(sessionPath(), { force: true });
}
