// How every client command ends: data on stdout (human text, or one JSON document with --json),
// messages on stderr, and an exit code that means something.

import { ErrCode } from '@hush/protocol';
import { STATUS_CODES } from 'node:http';
import { BadResponseError, ImportError, MatrixError, NetworkError, TimeoutError } from '@hush/client';

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
  /** Something answered, but not as a Matrix homeserver would (wrong URL?): nothing was used or saved. */
  NOT_MATRIX: 6,
} as const;

export const EXIT_HELP = `Exit codes:
  0  success
  1  the homeserver refused the request (its errcode and message are printed)
  2  bad usage or input (e.g. an invalid user ID): nothing was sent
  3  not logged in, or the access token was refused (run hush login)
  4  the homeserver could not be reached: refused, reset, no answer within --timeout, or a proxy
     in front of it answered 502/503/504 (the message names the URL)
  5  wrong user name or password (hush login)
  6  the URL answered, but not as a Matrix homeserver (not JSON, or without the fields the spec
     requires): nothing was saved`;

/** An error the CLI raises itself, with its exit code (and the homeserver's errcode when it stands
 *  for a refusal, e.g. M_FORBIDDEN for a wrong password). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly errcode?: string,
  ) {
    super(message);
  }
}

export const usage = (message: string): CliError => new CliError(message, EXIT.USAGE);

export interface OutputOptions {
  json?: boolean;
}

/** Prints `data` as JSON with --json, else as the text `human` makes of it. Human text that is
 *  only a remark (an empty list) goes to stderr, so stdout stays empty for pipes. */
export function print<T>(opts: OutputOptions, data: T, human: (d: T) => string | { note: string }): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  const text = human(data);
  if (typeof text !== 'string') process.stderr.write(`${text.note}\n`);
  else if (text.length > 0) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Node's error codes for a failed connection, in words. */
const REACH: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name',
};

function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** Statuses a proxy answers when the homeserver behind it is down or slow. */
const GATEWAY = new Set([502, 503, 504]);

/** "cannot reach https://hs.example: connection refused": the homeserver's URL and why, in words. */
export function reachMessage(err: NetworkError): string {
  const base = err.url.replace(/\/_matrix\/.*$/, '');
  if (err instanceof BadResponseError && GATEWAY.has(err.status)) {
    return `cannot reach ${base}: it answered ${err.status} ${STATUS_CODES[err.status] ?? ''} without a Matrix body (a proxy whose homeserver is down?)`;
  }
  const code = errorCode(err.cause);
  if (code === undefined || REACH[code] === undefined) return err.message;
  return `cannot reach ${base}: ${REACH[code]}`;
}

/** The exit code and message for anything a command threw. */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof CliError) return { code: err.code, message: err.message };
  if (err instanceof ImportError) {
    // The step that failed, why (with the exit code of why), and what state the account is in.
    const why = describeFailure(err.cause);
    const state =
      err.notRestored.length > 0
        ? `; could NOT put back: ${err.notRestored.join('; ')}`
        : err.changedAnything
          ? '; what the import had changed was put back'
          : '; nothing was changed';
    return { code: why.code, message: `${err.step}: ${why.message}${state}` };
  }
  if (err instanceof BadResponseError && !GATEWAY.has(err.status)) return { code: EXIT.NOT_MATRIX, message: `${err.message}: nothing from it was used` };
  if (err instanceof TimeoutError) return { code: EXIT.NETWORK, message: err.message };
  if (err instanceof NetworkError) return { code: EXIT.NETWORK, message: reachMessage(err) };
  if (err instanceof MatrixError) {
    if (err.errcode === ErrCode.UNKNOWN_TOKEN || err.errcode === ErrCode.MISSING_TOKEN) {
      return { code: EXIT.AUTH, message: `the homeserver refused the access token (${err.errcode}: ${err.message}): log in again with hush login` };
    }
    return { code: EXIT.MATRIX, message: `${err.errcode}: ${err.message}` };
  }
  return { code: EXIT.MATRIX, message: err instanceof Error ? err.message : String(err) };
}

/** A reader that went away (`hush ignore list | head -1`) ends the command quietly, as for any
 *  Unix filter, instead of an unhandled EPIPE. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
  });
}

/** A failure as one JSON line for scripts (--json): the message, the exit code, and the Matrix
 *  errcode when the homeserver refused. */
export function failureJson(err: unknown): string {
  const { code, message } = describeFailure(err);
  const inner = err instanceof ImportError ? err.cause : err;
  const errcode = inner instanceof MatrixError ? inner.errcode : inner instanceof CliError ? inner.errcode : undefined;
  return JSON.stringify({ error: message, exit_code: code, ...(errcode !== undefined ? { errcode } : {}) });
}

/** Runs a command body; on failure prints the message to stderr (one JSON line with --json) and
 *  sets the exit code. */
export async function run(body: () => Promise<void>): Promise<void> {
  quietOnClosedPipe();
  try {
    await body();
  } catch (err) {
    const { code, message } = describeFailure(err);
    process.stderr.write(process.argv.includes('--json') ? `${failureJson(err)}\n` : `hush: ${message}\n`);
    process.exitCode = code;
  }
}
