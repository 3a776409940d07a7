// TURN credentials for VoIP (spec "Voice over IP": GET /voip/turnServer). With a shared secret, the
// time-limited scheme TURN servers check themselves (coturn's use-auth-secret, the "TURN REST
// API" draft): the username is `<expiry, unix seconds>:<user id>` and the password the base64
// HMAC-SHA1 of that username under the secret; nothing is stored. Otherwise the configured fixed
// username and password.

import { createHmac } from 'node:crypto';
import type { UserId } from '@hush/protocol';
import type { TurnConfig } from '../config/turn.ts';

export interface TurnCredentials {
  username: string;
  password: string;
  uris: string[];
  ttl: number;
}

/** The credentials for `userId`, or undefined when no TURN server is configured. */
export function turnCredentials(turn: TurnConfig | undefined, userId: UserId, now = Date.now()): TurnCredentials | undefined {
  if (!turn) return undefined;
  const ttl = turn.lifetimeSeconds;
  if (turn.credentials.kind === 'static') return { username: turn.credentials.username, password: turn.credentials.password, uris: [...turn.uris], ttl };
  const username = `${Math.floor(now / 1000) + ttl}:${userId}`;
  const password = createHmac('sha1', turn.credentials.secret).update(username).digest('base64');
  return { username, password, uris: [...turn.uris], ttl };
}
