// THE ignore policy of the server: the IgnoreView snapshot and its verdicts. The rules themselves are
// pure and live in @hush/spec (ignore/policy.ts) so the client library applies the very same ones;
// the server reaches them through this file and builds views with ignore-lists.ts.

export { emptyIgnoreView, hidesEvent, hidesInvite, hidesUser, ignoreReason, inviteBlockRule, inviteRule, invitePermissionVerdict, rejectsInviteFrom } from '@hush/spec';
export type { IgnoreRules, IgnoreView, InvitePermission, PolicyRules } from '@hush/spec';
