// Who is asking: the authenticated user and device of a request (the HTTP layer finds it from the
// access token; services take it to decide what the user may do and see).

import type { UserId } from '@hush/protocol';

export interface Requester {
  userId: UserId;
  deviceId: string;
  /** The SHA-256 of the access token, so a long-held request can tell when it was revoked. */
  tokenHash: string;
}
