// What a success response must hold before the library uses it: every Matrix answer is a JSON
// object, and for the operations this library reads, the fields the spec marks required (and the
// library relies on) must be there with the right type — so a web server that answers 200 with other
// JSON never becomes "logged in as undefined". The shapes follow the spec's response schemas.

import { isRoomId, isUserId } from '@hush/protocol';

/** Returns what is wrong with `v` at `at`, or undefined when it fits. */
type Check = (v: unknown, at: string) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const firstProblem = (problems: Iterable<string | undefined>): string | undefined => {
  for (const p of problems) if (p !== undefined) return p;
  return undefined;
};

/** A non-empty string (that `valid` accepts, when given). */
const str =
  (valid?: (s: string) => boolean, what = 'a string'): Check =>
  (v, at) =>
    typeof v === 'string' && v.length > 0 && (valid === undefined || valid(v)) ? undefined : `${at} is ${v === undefined ? 'missing' : `not ${what}`}`;
const num: Check = (v, at) => (typeof v === 'number' && Number.isFinite(v) ? undefined : `${at} is ${v === undefined ? 'missing' : 'not a number'}`);
const anyObject: Check = (v, at) => (isObject(v) ? undefined : `${at} is ${v === undefined ? 'missing' : 'not an object'}`);
const list =
  (item: Check): Check =>
  (v, at) =>
    Array.isArray(v) ? firstProblem(v.map((x, i) => item(x, `${at}[${i}]`))) : `${at} is ${v === undefined ? 'missing' : 'not a list'}`;
/** An object with these fields; a name ending in `?` may be absent. Other fields are free. */
const obj =
  (fields: Record<string, Check>): Check =>
  (v, at) => {
    if (!isObject(v)) return `${at} is ${v === undefined ? 'missing' : 'not an object'}`;
    return firstProblem(
      Object.entries(fields).map(([name, check]) => {
        const optional = name.endsWith('?');
        const key = optional ? name.slice(0, -1) : name;
        if (optional && v[key] === undefined) return undefined;
        return check(v[key], at === '' ? key : `${at}.${key}`);
      }),
    );
  };
/** An object keyed by anything, each value checked. */
const mapOf =
  (value: Check): Check =>
  (v, at) =>
    isObject(v) ? firstProblem(Object.entries(v).map(([k, x]) => value(x, `${at}[${JSON.stringify(k)}]`))) : `${at} is not an object`;

const userId = str(isUserId, 'a user ID');
const roomId = str(isRoomId, 'a room ID');
const basicEvent = obj({ type: str(), content: anyObject });
const strippedEvent = obj({ type: str(), content: anyObject, sender: str() });
const roomEvent = obj({ event_id: str(), type: str(), sender: str(), origin_server_ts: num, content: anyObject });
const events = (ev: Check): Check => obj({ 'events?': list(ev) });
const session = obj({ user_id: userId, access_token: str(), device_id: str() });

/** The response schemas, by operationId, of the operations this library reads. */
const RESPONSES: Record<string, Check> = {
  login: session,
  register: obj({ user_id: userId, 'access_token?': str(), 'device_id?': str() }),
  getTokenOwner: obj({ user_id: userId, 'device_id?': str() }),
  getVersions: obj({ versions: list(str()) }),
  sync: obj({
    next_batch: str(),
    'rooms?': obj({
      'join?': mapOf(obj({ 'timeline?': obj({ 'events?': list(roomEvent), 'prev_batch?': str() }), 'state?': events(roomEvent), 'ephemeral?': events(basicEvent), 'account_data?': events(basicEvent) })),
      'invite?': mapOf(obj({ 'invite_state?': events(strippedEvent) })),
      'leave?': mapOf(anyObject),
      'knock?': mapOf(anyObject),
    }),
    'account_data?': events(basicEvent),
  }),
  getRoomEvents: obj({ start: str(), 'end?': str(), chunk: list(roomEvent), 'state?': list(roomEvent) }),
  getOneRoomEvent: roomEvent,
  createRoom: obj({ room_id: roomId }),
  joinRoom: obj({ room_id: roomId }),
  joinRoomById: obj({ room_id: roomId }),
  sendMessage: obj({ event_id: str() }),
  setRoomStateWithKey: obj({ event_id: str() }),
  getRoomSummary: obj({ room_id: roomId, 'join_rule?': str(), 'membership?': str() }),
  getHiddenInvites: obj({ invites: list(obj({ room_id: roomId, inviter: str(), rule: str() })) }),
};

/** What is wrong with a success response of `operationId`, or undefined when it is a Matrix answer. */
export function responseProblem(operationId: string, body: unknown): string | undefined {
  if (!isObject(body)) return `the body is ${Array.isArray(body) ? 'a list' : body === null ? 'null' : `a ${typeof body}`}, not a JSON object`;
  return RESPONSES[operationId]?.(body, '');
}
