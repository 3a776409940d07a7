// The homeserver's configuration: defaults, the optional YAML file, then flags, validated once.
// Keys are the flag names (`server-name`); the YAML file may also spell them `server_name`.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isServerName, type ServerName } from '@hush/protocol';
import { parseSupport, type SupportInfo } from './support.ts';
import { parseTurn, type TurnConfig } from './turn.ts';
import { parseFederation, type FederationConfig } from './federation.ts';
import { parseMedia, type MediaConfig } from './media.ts';

export type RegistrationMode = 'open' | 'token' | 'closed';

export interface Config {
  serverName: ServerName;
  port: number;
  bind: string;
  /** A SQLite file path, `:memory:`, or a postgres:// URL. */
  database: string;
  registration: RegistrationMode;
  registrationTokens: string[];
  rateLimits: boolean;
  /** Outbound HTTP (push gateways) may reach private, loopback and link-local addresses
   *  (`outbound-allow-private on`; default off). */
  outboundAllowPrivate: boolean;
  /** Presence tracking (`presence on|off`, default on); off: nothing stored, nobody is sent any. */
  presence: boolean;
  logLevel: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** What happens to an invite from an ignored user: hidden (kept) or rejected on the user's behalf. */
  ignoredUserInvites: 'hide' | 'reject';
  /** GET /.well-known/matrix/support (YAML key `support`); 404 when unset. */
  support?: SupportInfo;
  /** The URL clients reach this server at (`public-base-url`), served by GET
   *  /.well-known/matrix/client as `m.homeserver.base_url`; 404 when unset. */
  publicBaseUrl?: string;
  /** GET /voip/turnServer (`turn-uris`, `turn-shared-secret` or `turn-username`/`turn-password`,
   *  `turn-user-lifetime`); `{}` when unset. */
  turn?: TurnConfig;
  /** Federation: on/off, the TLS listener, certificate checks, notaries (config/federation.ts). */
  federation: FederationConfig;
  /** The content repository (`media-path`, `max-upload-size`, `media-user-quota`, `remote-media-cache-size`, `legacy-media`). */
  media: MediaConfig;
}

export type ConfigInput = Partial<Record<string, unknown>>;

export class ConfigError extends Error {}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** pino's levels: another name would only fail later, when the logger is made. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function isLoopback(bind: string): boolean {
  return LOOPBACK.has(bind) || bind.startsWith('127.');
}

function pick(input: ConfigInput, key: string): unknown {
  return input[key] ?? input[key.replace(/-/g, '_')];
}

export function readConfigFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    // The parser's message spans lines (it quotes the text); its first line says what and where.
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must be a YAML mapping`);
  return parsed as ConfigInput;
}

function str(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`${name} must be a string`);
  return String(v);
}

function onOff(v: unknown, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw new ConfigError(`${name} must be on or off`);
}

/** An absolute http(s) URL without query or fragment; the trailing slash dropped. */
function baseUrl(v: unknown, name: string): string | undefined {
  const s = str(v, name);
  if (s === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, not ${JSON.stringify(s)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || /[?#]/.test(s) || url.username !== '' || url.password !== '') {
    throw new ConfigError(`${name} must be an http(s) URL without credentials, query or fragment`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Merges file values under flag values and validates the result. */
export function resolveConfig(flags: ConfigInput, file: ConfigInput = {}): Config {
  const get = (key: string) => pick(flags, key) ?? pick(file, key);
  const serverName = str(get('server-name'), 'server-name') ?? 'localhost';
  if (!isServerName(serverName)) throw new ConfigError(`server-name ${JSON.stringify(serverName)} is not a valid Matrix server name`);
  const portRaw = str(get('port'), 'port') ?? '8008';
  const port = Number(portRaw);
  if (!/^[0-9]+$/.test(portRaw) || port > 65535) throw new ConfigError(`port must be 0-65535, not ${portRaw}`);
  const bind = str(get('bind'), 'bind') ?? '127.0.0.1';
  const database = str(get('database'), 'database') ?? './data/hush.sqlite';
  const registration = (str(get('registration'), 'registration') ?? (isLoopback(bind) ? 'open' : 'closed')) as RegistrationMode;
  if (!['open', 'token', 'closed'].includes(registration)) throw new ConfigError('registration must be open, token or closed');
  const tokensRaw = get('registration-tokens') ?? [];
  const registrationTokens = (Array.isArray(tokensRaw) ? tokensRaw : String(tokensRaw).split(',')).map(String).filter((t) => t.length > 0);
  if (registration === 'token' && registrationTokens.length === 0) {
    throw new ConfigError('registration token needs at least one registration-tokens entry');
  }
  const maxBodyRaw = str(get('max-body-bytes'), 'max-body-bytes') ?? String(1024 * 1024);
  const maxBodyBytes = Number(maxBodyRaw);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 70_000) throw new ConfigError('max-body-bytes must be an integer ≥ 70000');
  const publicBaseUrl = baseUrl(get('public-base-url'), 'public-base-url');
  const turn = parseTurn(get, (msg) => new ConfigError(msg));
  const media = parseMedia(get, database, (msg) => new ConfigError(msg));
  const ignoredUserInvites = (str(get('ignored-user-invites'), 'ignored-user-invites') ?? 'hide') as Config['ignoredUserInvites'];
  if (!['hide', 'reject'].includes(ignoredUserInvites)) throw new ConfigError('ignored-user-invites must be hide or reject');
  const logLevel = str(get('log-level'), 'log-level') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`log-level must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(logLevel)}`);
  return {
    serverName: serverName as ServerName,
    port,
    bind,
    database,
    registration,
    registrationTokens,
    rateLimits: onOff(get('rate-limits'), 'rate-limits') ?? true,
    outboundAllowPrivate: onOff(get('outbound-allow-private'), 'outbound-allow-private') ?? false,
    federation: parseFederation(get, serverName, (msg) => new ConfigError(msg)),
    presence: onOff(get('presence'), 'presence') ?? true,
    logLevel,
    maxBodyBytes,
    ignoredUserInvites,
    media,
    ...(publicBaseUrl !== undefined ? { publicBaseUrl } : {}),
    ...(turn !== undefined ? { turn } : {}),
    ...(get('support') !== undefined ? { support: parseSupport(get('support'), (msg) => new ConfigError(msg)) } : {}),
  };
}
