// A fake homeserver for the client's unit tests: a fetch function over one viewer's account data,
// one room's events and pending invites, with stream positions, long-polling /sync that leaves out
// what the viewer's m.ignored_user_list hides (as a real server does), /messages, and a log of
// every request made.

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

export interface FakeEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  state_key?: string;
  pos: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export class FakeHomeserver {
  readonly room = '!room:hs';
  readonly requests: LoggedRequest[] = [];
  readonly accountData = new Map<string, { content: unknown; pos: number }>();
  readonly events: FakeEvent[] = [];
  readonly invites = new Map<string, { inviter: string; pos: number }>();
  /** Events per room in one /sync. */
  timelineLimit = 20;
  /** Milliseconds each account-data PUT takes (to interleave concurrent writers). */
  putDelayMs = 2;
  private pos = 0;
  private wake: (() => void)[] = [];

  constructor(readonly viewer: string) {}

  /** Appends an event to the room (a state event when `stateKey` is given). */
  send(sender: string, content: Record<string, unknown>, type = 'm.room.message', stateKey?: string): FakeEvent {
    const pos = ++this.pos;
    const ev: FakeEvent = { event_id: `$e${pos}`, type, sender, content, origin_server_ts: pos, pos, ...(stateKey !== undefined ? { state_key: stateKey } : {}) };
    this.events.push(ev);
    this.notify();
    return ev;
  }

  join(userId: string): FakeEvent {
    return this.send(userId, { membership: 'join' }, 'm.room.member', userId);
  }

  invite(roomId: string, inviter: string): void {
    this.invites.set(roomId, { inviter, pos: ++this.pos });
    this.notify();
  }

  /** Account data written by someone else (another device). */
  setAccountData(type: string, content: unknown): void {
    this.accountData.set(type, { content, pos: ++this.pos });
    this.notify();
  }

  requestsTo(pathEnd: string, method = 'GET'): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.endsWith(pathEnd));
  }

  private notify(): void {
    for (const w of this.wake.splice(0)) w();
  }

  private ignored(): Set<string> {
    const c = this.accountData.get('m.ignored_user_list')?.content as { ignored_users?: Record<string, unknown> } | undefined;
    return new Set(Object.keys(c?.ignored_users ?? {}));
  }

  private shown(ev: FakeEvent): boolean {
    return ev.state_key !== undefined || !this.ignored().has(ev.sender);
  }

  private wire(ev: FakeEvent): object {
    const { pos, ...rest } = ev;
    void pos;
    return rest;
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    this.requests.push({ method, path: decodeURIComponent(url.pathname), query: url.searchParams, body });
    const data = /\/user\/[^/]+\/account_data\/([^/]+)$/.exec(url.pathname);
    if (data) {
      const type = decodeURIComponent(data[1] as string);
      if (method === 'PUT') {
        await new Promise((r) => setTimeout(r, this.putDelayMs));
        this.setAccountData(type, body);
        return json(200, {});
      }
      const v = this.accountData.get(type);
      return v === undefined ? json(404, { errcode: 'M_NOT_FOUND', error: 'none' }) : json(200, v.content);
    }
    if (url.pathname.endsWith('/sync')) return json(200, await this.sync(url.searchParams, init?.signal ?? undefined));
    if (url.pathname.endsWith('/messages')) return json(200, this.messages(url.searchParams));
    const state = /\/rooms\/[^/]+\/state\/([^/]+)\/([^/]*)$/.exec(url.pathname);
    if (state && method === 'PUT') {
      const ev = this.send(this.viewer, body as Record<string, unknown>, decodeURIComponent(state[1] as string), decodeURIComponent(state[2] as string));
      return json(200, { event_id: ev.event_id });
    }
    return json(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
  };

  private async sync(q: URLSearchParams, signal: AbortSignal | undefined): Promise<object> {
    const sinceText = q.get('since');
    const since = sinceText === null ? 0 : Number(sinceText.slice(1));
    const timeout = Number(q.get('timeout') ?? 0);
    if (sinceText !== null && since >= this.pos && timeout > 0) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, timeout);
        this.wake.push(() => {
          clearTimeout(t);
          resolve();
        });
        signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
      });
    }
    const account = [...this.accountData].filter(([, v]) => v.pos > since).map(([type, v]) => ({ type, content: v.content }));
    const fresh = this.events.filter((e) => e.pos > since && this.shown(e));
    const timeline = fresh.slice(-this.timelineLimit);
    const first = timeline[0];
    const rooms: Record<string, object> = {};
    if (timeline.length > 0) {
      rooms['join'] = {
        [this.room]: { timeline: { events: timeline.map((e) => this.wire(e)), limited: fresh.length > timeline.length, prev_batch: `t${(first?.pos ?? 1) - 1}` } },
      };
    }
    const invites = [...this.invites].filter(([, i]) => i.pos > since);
    if (invites.length > 0) {
      rooms['invite'] = Object.fromEntries(
        invites.map(([roomId, i]) => [roomId, { invite_state: { events: [{ type: 'm.room.member', state_key: this.viewer, sender: i.inviter, content: { membership: 'invite' } }] } }]),
      );
    }
    return { next_batch: `s${this.pos}`, account_data: { events: account }, rooms };
  }

  private messages(q: URLSearchParams): object {
    const fromText = q.get('from');
    const from = fromText === null ? this.pos : Number(fromText.slice(1));
    const limit = Number(q.get('limit') ?? 10);
    const older = this.events.filter((e) => e.pos <= from && this.shown(e)).reverse();
    const chunk = older.slice(0, limit);
    const last = chunk.at(-1);
    // As Hush and Synapse do: `end` whenever the chunk holds events, the last page included; an
    // empty chunk has none.
    return { start: `t${from}`, chunk: chunk.map((e) => this.wire(e)), ...(last ? { end: `t${last.pos - 1}` } : {}) };
  }
}
