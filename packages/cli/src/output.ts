// How every client command ends: data on stdout (human text, or one JSON document with --json),
// messages on stderr, and an exit code that means something.

import { ErrCode } from '@hush/spec';
import { MatrixError, NetworkError } from '@hush/client';

export const EXIT = {
  OK: 0,
  /** The homeserver refused (its errcode and message are printed). */
  MATRIX: 1,
  /** Bad usage or input, caught before any request. */
  USAGE: 2,
  /** Not logged in, or the token was refused. */
  AUTH: 3,
  /** The homeserver could not be reached. */
  NETWORK: 4,
  /** Wrong user name or password. */
  LOGIN: 5,
} as const;

export const EXIT_HELP = `Exit codes:
  0  success
  1  the homeserver refused the request (its errcode and message are printed)
  2  bad usage or input (e.g. an invalid user ID), nothing was sent
  3  not logged in, or the access token was refused (run hush login)
  4  the homeserver could not be reached
  5  wrong user name or password (hush login)`;

/** An error the CLI raises itself, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export const usage = (message: string): CliError => new CliError(message, EXIT.USAGE);

export interface OutputOptions {
  json?: boolean;
}

/** Prints `data` as JSON with --json, else as the text `human` makes of it. */
export function print<T>(opts: OutputOptions, data: T, human: (d: T) => string): void {
  const text = opts.json ? JSON.stringify(data, null, 2) : human(data);
  if (text.length > 0) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** The exit code and message for anything a command threw. */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof CliError) return { code: err.code, message: err.message };
  if (err instanceof NetworkError) return { code: EXIT.NETWORK, message: err.message };
  if (err instanceof MatrixError) {
    if (err.errcode === ErrCode.UNKNOWN_TOKEN || err.errcode === ErrCode.MISSING_TOKEN) {
      return { code: EXIT.AUTH, message: `the homeserver refused the access token (${err.errcode}): log in again with hush login` };
    }
    return { code: EXIT.MATRIX, message: `${err.errcode}: ${err.message}` };
  }
  return { code: EXIT.MATRIX, message: err instanceof Error ? err.message : String(err) };
}

/** Runs a command body; on failure prints the message and exits with its code. */
export async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const { code, message } = describeFailure(err);
    process.stderr.write(`hush: ${message}\n`);
    process.exitCode = code;
  }
}

/** A progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(label: string): (done: number, total: number) => void {
  if (!process.stderr.isTTY) return () => undefined;
  return (done, total) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) process.stderr.write('\n');
  };
}
