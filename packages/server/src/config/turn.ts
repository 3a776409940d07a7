// The TURN settings GET /voip/turnServer hands to clients (spec voip.yaml): `turn-uris` and either
// `turn-shared-secret` (time-limited credentials, the "TURN REST API" scheme coturn's
// use-auth-secret checks) or a fixed `turn-username` / `turn-password`; `turn-user-lifetime` is how
// long the credentials are good for. Flags or YAML (`turn_uris` may be a list). Checked when the
// config is read: one of the two credential kinds, never both, and only turn:/turns: URIs.

export interface TurnConfig {
  uris: string[];
  /** Seconds the credentials are good for (the response's `ttl`). */
  lifetimeSeconds: number;
  credentials: { kind: 'shared-secret'; secret: string } | { kind: 'static'; username: string; password: string };
}

/** One hour, as Synapse's default. */
const DEFAULT_LIFETIME_SECONDS = 3600;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `3600`, `3600s`, `60m`, `1h`, `1d` → seconds. */
function lifetime(v: unknown, fail: (msg: string) => Error): number {
  if (v === undefined) return DEFAULT_LIFETIME_SECONDS;
  const m = /^([0-9]{1,9})([smhd]?)$/.exec(String(v).trim());
  const seconds = m ? Number(m[1]) * (UNITS[m[2] || 's'] ?? 1) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 365 * 86_400) {
    throw fail(`turn-user-lifetime must be a duration like 3600, 30m, 1h or 1d (at most a year), not ${JSON.stringify(v)}`);
  }
  return seconds;
}

function text(v: unknown, name: string, fail: (msg: string) => Error): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw fail(`${name} must be a string`);
  const s = String(v);
  if (s.length === 0) throw fail(`${name} must not be empty`);
  return s;
}

/** Reads the TURN keys through `get` (flag or YAML value); undefined when no TURN is configured. */
export function parseTurn(get: (key: string) => unknown, fail: (msg: string) => Error): TurnConfig | undefined {
  const rawUris = get('turn-uris');
  const secret = text(get('turn-shared-secret'), 'turn-shared-secret', fail);
  const username = text(get('turn-username'), 'turn-username', fail);
  const password = text(get('turn-password'), 'turn-password', fail);
  const anyCredential = secret !== undefined || username !== undefined || password !== undefined;
  if (rawUris === undefined || rawUris === null) {
    if (anyCredential || get('turn-user-lifetime') !== undefined) throw fail('TURN credentials or a lifetime are set but turn-uris is not');
    return undefined;
  }
  const list = Array.isArray(rawUris) ? rawUris : String(rawUris).split(',');
  const uris = list.map((u) => (typeof u === 'string' ? u.trim() : u)).filter((u) => u !== '');
  if (uris.length === 0) throw fail('turn-uris must name at least one turn: or turns: URI');
  for (const u of uris) {
    if (typeof u !== 'string' || !/^turns?:[^\s]+$/.test(u)) throw fail(`each turn-uris entry must be a turn: or turns: URI, not ${JSON.stringify(u)}`);
  }
  if (secret !== undefined && (username !== undefined || password !== undefined)) {
    throw fail('set either turn-shared-secret or turn-username/turn-password, not both');
  }
  if (secret === undefined && (username === undefined || password === undefined)) {
    throw fail('turn-uris needs turn-shared-secret, or both turn-username and turn-password');
  }
  return {
    uris: uris as string[],
    lifetimeSeconds: lifetime(get('turn-user-lifetime'), fail),
    credentials: secret !== undefined ? { kind: 'shared-secret', secret } : { kind: 'static', username: username!, password: password! },
  };
}
