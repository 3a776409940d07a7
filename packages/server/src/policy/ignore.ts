// THE ignore policy of the server: the IgnoreView snapshot and its verdicts. The rules themselves are
// pure and live in @hush/protocol (ignore/policy.ts) so the client library applies the very same ones;
// the server reaches them through this file and builds views with ignore-lists.ts.

import type { IgnoreView } from '@hush/protocol';

export { hidesEvent, hidesInvite, hidesUser, ignoreReason, roomIgnoreReason, inviteBlockRule, inviteRule, invitePermissionVerdict, rejectsInviteFrom } from '@hush/protocol';
export type { IgnoreRules, IgnoreView, InvitePermission, PolicyRules } from '@hush/protocol';

declare const loaded: unique symbol;
/** A user's IgnoreView as the policy loaded it from everything they have said (ignore-lists.ts is
 *  its only maker): viewers and verdicts on responses take only this, so no read path can pass a
 *  view that ignores nothing (`emptyIgnoreView`) or one built by hand. */
export type PolicyView = IgnoreView & { readonly [loaded]: true };
