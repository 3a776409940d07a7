// @hush/client: a Matrix client library for any spec-compliant homeserver, with the client side of
// ignoring. The contract is in ../README.md.
export * from './errors.ts';
export * from './http.ts';
export * from './session.ts';
export * from './store.ts';
export * from './shown.ts';
export * from './client.ts';
export * from './invite-rules.ts';
export { Emitter } from './emitter.ts';
/** The rule names of the hidden-invites review, for a UI to describe them. */
export { INVITE_RULE } from '@hush/protocol';
export { responseProblem } from './responses.ts';
export * from './import-lists.ts';
export * from './media.ts';
