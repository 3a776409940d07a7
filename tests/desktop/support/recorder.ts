// A recording reverse proxy in front of a homeserver: the desktop client is pointed at it, so the
// tests see exactly what that client asked and what it was answered (method, path, status, a small
// request body, its token) apart from their own requests. Bodies are streamed through unchanged;
// long-polls stay open as long as the server holds them.

import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const KEEP_BODY = 4096;

export interface Recorded {
  method: string;
  url: string;
  status: number;
  /** The request body as text when it is at most 4 KiB, else undefined. */
  body: string | undefined;
  /** The bearer token the request carried, if any. */
  token: string | undefined;
}

export interface Recorder {
  /** Where the client should send its requests, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** Every finished request so far, in the order the answers ended. */
  records: Recorded[];
  close(): Promise<void>;
}

export async function startRecorder(target: string): Promise<Recorder> {
  const to = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const records: Recorded[] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= KEEP_BODY) chunks.push(c);
    });
    const auth = req.headers['authorization'];
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const headers = { ...req.headers, host: to.host };
    const upstream = request({ agent, host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('end', () => {
        records.push({
          method: req.method ?? '',
          url: req.url ?? '',
          status: up.statusCode ?? 0,
          body: size <= KEEP_BODY ? Buffer.concat(chunks).toString('utf8') : undefined,
          token,
        });
      });
    });
    upstream.on('error', (err) => {
      records.push({ method: req.method ?? '', url: req.url ?? '', status: 502, body: undefined, token });
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errcode: 'M_UNKNOWN', error: `recorder: ${err.message}` }));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
