// A TCP proxy for e2e federation tests: listens on a loopback port and forwards raw bytes (TLS
// passes through untouched) to one or several backend ports, round-robin per connection. It can
// be cut (every connection refused with a reset, live ones dropped) and healed, and it can refuse
// — or stall: accept and never forward, as a server that stopped answering — only the connections
// opened by given processes: the client's process is found from the kernel's
// socket table (/proc/net/tcp{,6} → socket inode → /proc/PID/fd), so a server can be partitioned
// from the others without anything in the server knowing it is under test. Linux only.

import { readdir, readFile, readlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Live {
  client: Socket;
  upstream: Socket | undefined;
  /** The pid of the process that opened the client side, when known. */
  pid: number | undefined;
}

export class TcpProxy {
  private readonly live = new Set<Live>();
  private readonly blockedPids = new Set<number>();
  private readonly stalledPids = new Set<number>();
  private down = false;
  private next = 0;
  /** Connections forwarded, and refused (cut or blocked), since start. */
  readonly stats = { forwarded: 0, refused: 0, stalled: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private backends: number[],
  ) {}

  /** Starts a proxy on `port` (default: a free one) to `backends` (more can be added later). */
  static async start(backends: number[] = [], port = 0): Promise<TcpProxy> {
    const server = createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    const proxy = new TcpProxy(server, typeof addr === 'object' && addr ? addr.port : port, [...backends]);
    server.on('connection', (s) => void proxy.accept(s));
    return proxy;
  }

  addBackend(port: number): void {
    if (!this.backends.includes(port)) this.backends.push(port);
  }

  removeBackend(port: number): void {
    this.backends = this.backends.filter((p) => p !== port);
  }

  /** Refuses every connection from now on and drops the open ones. */
  cut(): void {
    this.down = true;
    for (const c of [...this.live]) this.drop(c);
  }

  /** Refuses connections opened by these processes (and drops their open ones). */
  async block(pids: readonly number[]): Promise<void> {
    for (const p of pids) this.blockedPids.add(p);
    for (const c of [...this.live]) {
      if (c.pid === undefined && c.client.remotePort !== undefined) c.pid = await socketOwner(c.client.remotePort, this.port, this.blockedPids).catch(() => undefined);
      if (c.pid !== undefined && this.blockedPids.has(c.pid)) this.drop(c);
    }
  }

  /** Connections opened from now on by these processes are accepted and left hanging. */
  stall(pids: readonly number[]): void {
    for (const p of pids) this.stalledPids.add(p);
  }

  /** Forwards everything again (stalled connections are dropped). */
  heal(): void {
    this.down = false;
    this.blockedPids.clear();
    if (this.stalledPids.size > 0) for (const c of [...this.live]) if (c.upstream === undefined && c.pid !== undefined && this.stalledPids.has(c.pid)) this.drop(c);
    this.stalledPids.clear();
  }

  async close(): Promise<void> {
    for (const c of [...this.live]) this.drop(c);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private drop(c: Live): void {
    this.live.delete(c);
    c.client.resetAndDestroy();
    c.upstream?.destroy();
  }

  private async accept(client: Socket): Promise<void> {
    client.on('error', () => undefined);
    const entry: Live = { client, upstream: undefined, pid: undefined };
    this.live.add(entry);
    client.once('close', () => {
      this.live.delete(entry);
      entry.upstream?.destroy();
    });
    const watched = new Set([...this.blockedPids, ...this.stalledPids]);
    if (watched.size > 0 && client.remotePort !== undefined) entry.pid = await socketOwner(client.remotePort, this.port, watched).catch(() => undefined);
    if (entry.pid !== undefined && this.stalledPids.has(entry.pid)) {
      this.stats.stalled++;
      return;
    }
    const backend = this.backends.length > 0 ? this.backends[this.next++ % this.backends.length] : undefined;
    if (this.down || backend === undefined || (entry.pid !== undefined && this.blockedPids.has(entry.pid)) || client.destroyed) {
      this.stats.refused++;
      this.drop(entry);
      return;
    }
    this.stats.forwarded++;
    const upstream = connect({ host: '127.0.0.1', port: backend });
    entry.upstream = upstream;
    upstream.on('error', () => this.drop(entry));
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}

/**
 * Which of `candidates` holds the client end of the loopback connection from `clientPort` to
 * `serverPort`, if any: the socket's inode from /proc/net/tcp{,6}, then each candidate's fds.
 */
async function socketOwner(clientPort: number, serverPort: number, candidates: ReadonlySet<number>): Promise<number | undefined> {
  let inode: string | undefined;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = parseInt((f[1] ?? '').split(':')[1] ?? '', 16);
      const remote = parseInt((f[2] ?? '').split(':')[1] ?? '', 16);
      if (local === clientPort && remote === serverPort) inode = f[9];
    }
    if (inode !== undefined) break;
  }
  if (inode === undefined || inode === '0') return undefined;
  const want = `socket:[${inode}]`;
  for (const pid of candidates) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === want) return pid;
    }
  }
  return undefined;
}
