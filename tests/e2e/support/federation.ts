// Several `hush serve` processes federating over TLS on loopback: a CA and a localhost
// certificate made with openssl, server names `localhost:PORT` (the host:port rule, no DNS),
// --federation-ca to trust the CA, --outbound-allow-private on for loopback.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHush, type HushProcess, type StartOptions } from '../../support/server.ts';
import type { TcpProxy } from './proxy.ts';

export interface FederatingServer {
  proc: HushProcess;
  name: string;
  port: number;
  /** The proxy the server's name points at, when started behind one. */
  proxy?: TcpProxy;
}

export class FederationTestbed {
  readonly dir = mkdtempSync(join(tmpdir(), 'hush-fed-'));
  readonly ca = join(this.dir, 'ca.crt');
  readonly cert = join(this.dir, 'server.crt');
  readonly key = join(this.dir, 'server.key');
  readonly servers: HushProcess[] = [];

  constructor() {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2',
      '-subj', '/CN=Hush federation test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    writeFileSync(join(this.dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
  }

  /** Starts a server; `port` and `database` given again restart the same server. With `proxy`, the
   *  server's name is `localhost:<the proxy's port>` (other servers reach it only through the proxy)
   *  and the server becomes one of the proxy's backends: several processes of one server share it. */
  async start(opts: { port?: number; database?: string; extra?: string[]; env?: StartOptions['env']; proxy?: TcpProxy } = {}): Promise<FederatingServer> {
    // The client port is chosen here too (never `--port 0`): the kernel may hand the federation
    // port just released by freePort to the server's own port-0 listener. A port another process
    // took meanwhile is chosen again (a fresh server only: a restarted one keeps its name).
    let proc: HushProcess | undefined;
    let port = opts.port ?? (await freePort());
    for (let attempt = 1; proc === undefined; attempt++) {
      const name = `localhost:${opts.proxy?.port ?? port}`;
      try {
        proc = await startHush({
          ...(opts.database !== undefined ? { database: opts.database } : {}),
          ...(opts.env !== undefined ? { env: opts.env } : {}),
          args: ['--port', String(await freePort()), '--server-name', name, '--federation', 'on', '--federation-port', String(port), '--tls-cert', this.cert,
            '--tls-key', this.key, '--outbound-allow-private', 'on', '--federation-ca', this.ca, ...(opts.extra ?? [])],
        });
      } catch (err) {
        if (opts.port !== undefined || attempt >= 3 || !/already in use/.test(String(err))) throw err;
        port = await freePort();
      }
    }
    const name = `localhost:${opts.proxy?.port ?? port}`;
    this.servers.push(proc);
    opts.proxy?.addBackend(port);
    return { proc, name, port, ...(opts.proxy ? { proxy: opts.proxy } : {}) };
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Ports already handed out by this process: servers started together never get the same one. */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const addr = s.address();
        s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
