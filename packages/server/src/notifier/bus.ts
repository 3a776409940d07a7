// What processes sharing one database tell each other, and the transport that carries it
// (PostgreSQL LISTEN/NOTIFY, pg-bus.ts). Positions and small facts only, never data: a receiver
// re-reads the database when woken.

export type BusMessage =
  /** Stream position `s` reached for these rooms and users. */
  | { k: 'n'; s: number; r?: readonly string[]; u?: readonly string[] }
  /** Too much to list (or a reconnect): every waiter re-checks. */
  | { k: 'all' }
  /** A room's typing users and when each stops (ms since the epoch). */
  | { k: 'typing'; room: string; users: [string, number][] }
  /** Access tokens of a user (one device, or all) were revoked. */
  | { k: 'tokens'; user: string; device?: string };

export interface Bus {
  publish(m: BusMessage): void;
  /** Messages from other processes (never this one's own). */
  onMessage(fn: (m: BusMessage) => void): void;
  close(): Promise<void>;
}
