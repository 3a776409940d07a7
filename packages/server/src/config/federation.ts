// Federation settings (decision 0025): `federation` on|off, `federation-port` with `tls-cert` and
// `tls-key` (a TLS listener that serves the federation and client APIs), `federation-verify-
// certificates`, `federation-ca` (extra trusted CAs, PEM), `trusted-key-servers` (notaries; YAML
// `trusted_key_servers`, as Synapse names it). Outbound requests obey `outbound-allow-private`
// (config.ts, shared with push).

import { readFileSync } from 'node:fs';
import { isServerName } from '@hush/protocol';

export interface TrustedKeyServer {
  serverName: string;
  /** Key id → unpadded base64 ed25519 key. When given, the notary's answers must carry a signature
   *  by one of these; when not, its keys are fetched from it directly. */
  verifyKeys?: Record<string, string>;
}

export interface FederationConfig {
  enabled: boolean;
  /** The TLS listener's port (0 picks a free one); absent: no TLS listener. */
  port?: number;
  /** PEM text read from `tls-cert` / `tls-key` at start. */
  tlsCert?: string;
  tlsKey?: string;
  verifyCertificates: boolean;
  /** PEM text of `federation-ca`: trusted in addition to the system's CAs. */
  ca?: string;
  trustedKeyServers: TrustedKeyServer[];
}

type Get = (key: string) => unknown;
type Fail = (msg: string) => Error;

function onOff(v: unknown, name: string, fail: Fail): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw fail(`${name} must be on or off`);
}

function readPem(v: unknown, name: string, fail: Fail): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw fail(`${name} must be a file path`);
  let text: string;
  try {
    text = readFileSync(v, 'utf8');
  } catch (err) {
    throw fail(`cannot read ${name} ${v}: ${(err as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw fail(`${name} ${v} is not a PEM file`);
  return text;
}

function trustedKeyServers(v: unknown, fail: Fail): TrustedKeyServer[] {
  if (v === undefined || v === null || v === '') return [];
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v;
  if (!Array.isArray(list)) throw fail('trusted-key-servers must be a list of server names or {server_name, verify_keys}');
  return list.map((entry: unknown) => {
    if (typeof entry === 'string') {
      if (!isServerName(entry)) throw fail(`trusted-key-servers: ${JSON.stringify(entry)} is not a server name`);
      return { serverName: entry };
    }
    if (typeof entry !== 'object' || entry === null) throw fail('trusted-key-servers entries are server names or {server_name, verify_keys}');
    const { server_name: serverName, verify_keys: keys } = entry as Record<string, unknown>;
    if (!isServerName(serverName)) throw fail(`trusted-key-servers: ${JSON.stringify(serverName)} is not a server name`);
    if (keys === undefined) return { serverName };
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw fail('trusted-key-servers verify_keys must map key ids to keys');
    const verifyKeys: Record<string, string> = {};
    for (const [id, key] of Object.entries(keys)) {
      if (!/^ed25519:[a-zA-Z0-9_]+$/.test(id) || typeof key !== 'string' || !/^[A-Za-z0-9+/]{43}=?$/.test(key)) {
        throw fail(`trusted-key-servers: ${serverName} verify key ${id} must be an ed25519 key in unpadded base64`);
      }
      verifyKeys[id] = key;
    }
    return { serverName, verifyKeys };
  });
}

/**
 * Federation is on by default, as in other homeservers, except for a server named `localhost` or
 * a loopback address (what `npm start` runs): no other server could reach it by that name.
 */
export function parseFederation(get: Get, serverName: string, fail: Fail): FederationConfig {
  const host = serverName.startsWith('[') ? serverName.slice(0, serverName.indexOf(']') + 1) : serverName.replace(/:[0-9]+$/, '');
  const localName = host === 'localhost' || host === '[::1]' || host.startsWith('127.');
  const enabled = onOff(get('federation'), 'federation', fail) ?? !localName;
  const portRaw = get('federation-port');
  let port: number | undefined;
  if (portRaw !== undefined) {
    const s = String(portRaw);
    port = Number(s);
    if (!/^[0-9]+$/.test(s) || port > 65535) throw fail(`federation-port must be 0-65535, not ${s}`);
  }
  const tlsCert = readPem(get('tls-cert'), 'tls-cert', fail);
  const tlsKey = readPem(get('tls-key'), 'tls-key', fail);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw fail('tls-cert and tls-key go together');
  if (port !== undefined && tlsCert === undefined) throw fail('federation-port needs tls-cert and tls-key (the listener speaks TLS)');
  if (port !== undefined && !enabled) throw fail('federation-port is set but federation is off');
  return {
    enabled,
    ...(port !== undefined ? { port } : {}),
    ...(tlsCert !== undefined && tlsKey !== undefined ? { tlsCert, tlsKey } : {}),
    verifyCertificates: onOff(get('federation-verify-certificates'), 'federation-verify-certificates', fail) ?? true,
    ...(get('federation-ca') !== undefined ? { ca: readPem(get('federation-ca'), 'federation-ca', fail) as string } : {}),
    trustedKeyServers: trustedKeyServers(get('trusted-key-servers'), fail),
  };
}
