// Start-up failures an operator can fix — the port taken, the database busy, unreadable or out of
// reach — told in one line that names the setting to change. startServer throws a StartupError for
// them; `hush serve` prints its message and exits 1. Anything else stays an unexpected error.

import type { Config } from './config/config.ts';
import { DatabaseBusy, isPostgresUrl } from './storage/db.ts';

export class StartupError extends Error {
  constructor(message: string, cause: unknown) {
    super(message.replace(/\s*\n\s*/g, ' '), { cause });
    this.name = 'StartupError';
  }
}

/** The error code of a socket, file or driver error; an AggregateError (several addresses tried)
 *  gives its first one's. */
function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const inner = (err as { errors?: unknown }).errors;
  return Array.isArray(inner) ? codeOf(inner[0]) : undefined;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Where a database location points, never with its password: `host:port/db` for PostgreSQL. */
export function databaseName(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const u = new URL(location);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the PostgreSQL URL';
  }
}

/** app.listen failed: the port or the address. */
export function listenFailure(err: unknown, config: Pick<Config, 'port' | 'bind'>): StartupError | undefined {
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return new StartupError(`port ${config.port} is already in use on ${config.bind} (--port)`, err);
    case 'EACCES':
      return new StartupError(`no permission to listen on port ${config.port} of ${config.bind} (--port; ports below 1024 need privileges)`, err);
    case 'EADDRNOTAVAIL':
      return new StartupError(`cannot listen on ${config.bind}: not an address of this machine (--bind)`, err);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError(`cannot listen on ${config.bind}: no such host name (--bind)`, err);
    default:
      return undefined;
  }
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** SQLite codes that mean the file, not our SQL: the operator can do something about them. */
const SQLITE_FILE = new Set(['SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_CORRUPT', 'SQLITE_FULL', 'SQLITE_IOERR']);

/** Creating the database's directory failed. */
const FILE_SYSTEM = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EISDIR']);

/** Opening the database (or its first queries: migrations, the PostgreSQL LISTEN connection) failed. */
export function databaseFailure(err: unknown, location: string): StartupError | undefined {
  const where = databaseName(location);
  if (err instanceof DatabaseBusy) return new StartupError(`${err.message} (--database)`, err);
  const code = codeOf(err);
  if (code === undefined) return undefined;
  if (isPostgresUrl(location)) {
    if (UNREACHABLE[code]) return new StartupError(`cannot reach PostgreSQL at ${where}: ${UNREACHABLE[code]} (--database)`, err);
    // A server's refusal carries an SQLSTATE: wrong password (28P01), no such database (3D000), …
    if (/^[0-9A-Z]{5}$/.test(code)) return new StartupError(`PostgreSQL at ${where} refused: ${messageOf(err)} (--database)`, err);
    return undefined;
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StartupError(`the SQLite database ${where} is locked by another process (${messageOf(err)}) (--database)`, err);
  }
  if (code === 'SQLITE_NOTADB') return new StartupError(`${where} is not a SQLite database (--database)`, err);
  if (SQLITE_FILE.has(code.replace(/^(SQLITE_[A-Z]+).*/, '$1'))) return new StartupError(`cannot open the SQLite database ${where}: ${messageOf(err)} (--database)`, err);
  if (FILE_SYSTEM.has(code)) return new StartupError(`cannot create the SQLite database ${where}: ${messageOf(err)} (--database)`, err);
  return undefined;
}
