// What every scenario gets: the homeserver under test (one or several processes sharing one
// database), clients to it, a unique name prefix for this run, and small Matrix helpers built only
// on the client-server API.

import { readFileSync } from 'node:fs';
import { V3, enc, pool, type BenchClient, type Json, type Session } from './http.ts';

export interface Target {
  /** Shown in the table, e.g. "A" (the --target) or "B" (the --target2). */
  label: string;
  /** Base URLs of the processes of one homeserver; senders use the first, waiters the last. */
  urls: string[];
  /** To urls[0]: setup, senders, and the scenarios that need one process. */
  main: BenchClient;
  /** To the last URL (the same as main with one process): long-polling /sync waiters. */
  waiters: BenchClient;
  /** One client per process, for load spread over every process. */
  all: BenchClient[];
  quick: boolean;
  /** Unique per run, so that re-running against the same server registers fresh users. */
  prefix: string;
  /** Process ids of the server processes when known (we started them): their CPU is reported. */
  pids: number[];
}

/** One figure of the results table. Keys are stable: the JSON and the ratio column use them. */
export interface Figure {
  key: string;
  label: string;
  value: number;
  unit: 'ms' | 'events/s' | 'x' | 'cores' | 'events' | 'bytes' | 'rooms';
}

export interface ScenarioResult {
  figures: Figure[];
  notes: string[];
}

export type Scenario = (t: Target) => Promise<ScenarioResult>;

let userCounter = 0;

/** Registers `count` fresh users (password hashing is slow on purpose: a few in parallel). */
export async function registerUsers(t: Target, tag: string, count: number): Promise<Session[]> {
  return pool(count, 4, () => t.main.register(`${t.prefix}_${tag}${userCounter++}`));
}

export async function createRoom(c: BenchClient, s: Session, body: Record<string, unknown> = { preset: 'public_chat' }): Promise<string> {
  return String((await c.ok('POST', `${V3}/createRoom`, body, s.token)).room_id);
}

export async function join(c: BenchClient, s: Session, roomId: string): Promise<void> {
  await c.ok('POST', `${V3}/join/${enc(roomId)}`, {}, s.token);
}

let txn = 0;
const txnPrefix = `${process.pid}_${Date.now().toString(36)}`;

export async function sendText(c: BenchClient, s: Session, roomId: string, body: string): Promise<string> {
  const j = await c.ok('PUT', `${V3}/rooms/${enc(roomId)}/send/m.room.message/${txnPrefix}_${txn++}`, { msgtype: 'm.text', body }, s.token);
  return String(j.event_id);
}

export function sync(c: BenchClient, s: Session, since: string | undefined, timeoutMs: number): Promise<Json> {
  const q = since === undefined ? `timeout=${timeoutMs}` : `timeout=${timeoutMs}&since=${enc(since)}`;
  return c.ok('GET', `${V3}/sync?${q}`, undefined, s.token);
}

export async function setIgnoredUsers(c: BenchClient, s: Session, userIds: string[]): Promise<void> {
  const ignored_users: Record<string, object> = {};
  for (const u of userIds) ignored_users[u] = {};
  await c.ok('PUT', `${V3}/user/${enc(s.userId)}/account_data/m.ignored_user_list`, { ignored_users }, s.token);
}

export function serverNameOf(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/** `count` made-up user ids on the target's server name (nobody registered them). */
export function madeUpUsers(t: Target, serverName: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `@${t.prefix}_ghost${i}:${serverName}`);
}

/** The timeline events of one room in a /sync response (empty when the room is absent). */
export function timelineOf(syncBody: Json, roomId: string): Json[] {
  return (syncBody?.rooms?.join?.[roomId]?.timeline?.events as Json[] | undefined) ?? [];
}

/** CPU seconds a process has used so far (Linux /proc), or NaN when it cannot be read. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The summed CPU seconds of the target's known server processes (NaN when none are known). */
export function serverCpuSeconds(t: Target): number {
  if (t.pids.length === 0) return NaN;
  return t.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

/** CPU seconds the whole machine has been busy (every core, every process; Linux /proc/stat). */
export function machineCpuSeconds(): number {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return NaN;
  }
}
