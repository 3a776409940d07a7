// The ignore lists (formats, parsers) and the verdicts asked of them; pure, shared by server and client.
export * from './globs.ts';
export * from './policy.ts';
export * from './lists.ts';
