// Types of scripts/build-cli.mjs for the TypeScript that imports it (tests/support/server.ts).

/** packages/cli/dist/hush.cjs: the bundle the `hush` bin runs. */
export const BUNDLE: string;
/** The fingerprint of the bundle's inputs as they are now. */
export function fingerprint(): string;
/** The fingerprint the current bundle was built from; undefined when there is no bundle. */
export function builtFingerprint(): string | undefined;
export function isStale(): boolean;
/** Builds the bundle now; resolves with the seconds it took. */
export function build(): Promise<number>;
/** Builds when stale; resolves with the seconds spent building (0: it was current). */
export function ensureBuilt(): Promise<number>;
