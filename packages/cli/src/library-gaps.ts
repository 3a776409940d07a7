// What `hush` needs and @hush/client does not offer yet, kept apart so it can move into the library:
// ending a session (POST /logout). Only the library's HttpClient and the shared descriptors are used.

import { api } from '@hush/spec';
import { HttpClient, type Session } from '@hush/client';

/** Invalidates the session's access token on its homeserver. */
export async function logout(session: Pick<Session, 'homeserver' | 'accessToken'>): Promise<void> {
  await new HttpClient({ baseUrl: session.homeserver, accessToken: session.accessToken }).request(api.logout);
}
