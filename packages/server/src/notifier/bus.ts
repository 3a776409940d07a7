// What processes sharing one database tell each other, and how it is framed for the transport
// (PostgreSQL LISTEN/NOTIFY, pg-bus.ts). Positions and small facts only, never data: a receiver
// re-reads the database when woken. Payloads stay under PostgreSQL's 8,000-byte limit: long
// target lists are split over several messages, and several messages share one payload.

export type BusMessage =
  /** Stream position `s` reached for these rooms and users; `w`: the stream is persisted up to
   *  at least this position (PostgreSQL, decision 0028; `w` ≥ `s` when sent by this version). */
  | { k: 'n'; s: number; w?: number; r?: readonly string[]; u?: readonly string[] }
  /** Something may have been missed (the listener reconnected): every waiter re-checks. */
  | { k: 'all' }
  /** Typing change number `t` (serials are handed out in commit order, so every process applies
   *  them in the same order): `user` types in `room` until `until` (ms since the epoch), or stops
   *  (`until` 0) — only if the entry still ends at `if`, when given (an expiry). */
  | { k: 'typing'; t: number; room: string; user: string; until: number; if?: number }
  /** Access tokens of a user (one device, or all) were revoked. With an `id`, every other process
   *  acknowledges it once handled, so that the revoking request can wait for them. */
  | { k: 'tokens'; user: string; device?: string; id?: string }
  /** A process handled the fact with this id. */
  | { k: 'ack'; id: string };

export interface Bus {
  /** The NOTIFY channel. */
  readonly channel: string;
  /** Sends after the fact, on the bus's own connection (batched; order kept). */
  publish(m: BusMessage): void;
  /** The payloads that carry `m`, for a caller that sends them inside its own transaction
   *  (delivered when it commits, in commit order). */
  encode(m: BusMessage): string[];
  /** Every message, this process's own included (`own`). */
  onMessage(fn: (m: BusMessage, own: boolean) => void): void;
  /** How many processes (this one included) listen on the bus now. */
  listeners(): Promise<number>;
  close(): Promise<void>;
}

/** NOTIFY payloads must stay under 8000 bytes. */
export const MAX_PAYLOAD_BYTES = 7_800;

/** Splits a stream announcement whose target lists are too long for one payload. */
function split(m: BusMessage, budget: number): BusMessage[] {
  if (m.k !== 'n' || Buffer.byteLength(JSON.stringify(m)) <= budget) return [m];
  const targets = [...(m.r ?? []).map((id) => ['r', id] as const), ...(m.u ?? []).map((id) => ['u', id] as const)];
  // One id alone too long for a payload (ids are short in practice): everyone re-checks.
  if (targets.length <= 1) return [{ k: 'all' }];
  const half = Math.ceil(targets.length / 2);
  return [targets.slice(0, half), targets.slice(half)].flatMap((part) => {
    const r = part.filter(([k]) => k === 'r').map(([, id]) => id);
    const u = part.filter(([k]) => k === 'u').map(([, id]) => id);
    return split({ k: 'n', s: m.s, ...(m.w !== undefined ? { w: m.w } : {}), ...(r.length ? { r } : {}), ...(u.length ? { u } : {}) }, budget);
  });
}

/** Frames messages as `{"o": origin, "m": [...]}` payloads, as few as fit under the limit. */
export function frame(origin: string, messages: readonly BusMessage[]): string[] {
  const head = `{"o":${JSON.stringify(origin)},"m":[`;
  const budget = MAX_PAYLOAD_BYTES - Buffer.byteLength(head) - 2;
  const out: string[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const m of messages.flatMap((x) => split(x, budget))) {
    const text = JSON.stringify(m);
    const bytes = Buffer.byteLength(text) + 1;
    if (parts.length > 0 && size + bytes > budget) {
      out.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = 0;
    }
    parts.push(text);
    size += bytes;
  }
  if (parts.length > 0) out.push(`${head}${parts.join(',')}]}`);
  return out;
}

/** Reads a payload; undefined when it is not ours. */
export function unframe(payload: string): { origin: string; messages: BusMessage[] } | undefined {
  try {
    const v = JSON.parse(payload) as { o?: unknown; m?: unknown };
    if (typeof v.o !== 'string' || !Array.isArray(v.m)) return undefined;
    return { origin: v.o, messages: (v.m as unknown[]).filter(isMessage) };
  } catch {
    return undefined;
  }
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isIds = (x: unknown): boolean => x === undefined || (Array.isArray(x) && x.every(isStr));

/** Anyone with access to the database can NOTIFY: check every field before it is used. */
function isMessage(x: unknown): x is BusMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  switch (m['k']) {
    case 'n':
      return isNum(m['s']) && (m['w'] === undefined || isNum(m['w'])) && isIds(m['r']) && isIds(m['u']);
    case 'all':
      return true;
    case 'typing':
      return isNum(m['t']) && isStr(m['room']) && isStr(m['user']) && isNum(m['until']) && (m['if'] === undefined || isNum(m['if']));
    case 'tokens':
      return isStr(m['user']) && (m['device'] === undefined || isStr(m['device'])) && (m['id'] === undefined || isStr(m['id']));
    case 'ack':
      return isStr(m['id']);
    default:
      return false;
  }
}
