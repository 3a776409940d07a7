// The `fetch` the CLI hands to @hush/client: the few parts of fetch the library uses (method, headers,
// a string body, a signal; status, headers and text of the answer), over node:http and node:https.
// Node 20's built-in fetch can miss a connection reset that comes right after the connection is
// accepted and then never settles (measured with undici 6.24 here: a GET to a server that accepts
// and closes hangs; see docs/decisions/0014-cli-network-failures.md); node:http reports ECONNRESET.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

const MAX_REDIRECTS = 5;
/** Statuses a Response cannot carry a body with. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const h = init?.headers;
  if (h === undefined) return {};
  const out: Record<string, string> = {};
  if (h instanceof Headers || Array.isArray(h)) new Headers(h).forEach((v, k) => (out[k] = v));
  else Object.assign(out, h);
  return out;
}

function once(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<{ res: IncomingMessage; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ res, data: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('the connection closed before the whole answer arrived'), { code: 'ECONNRESET' })));
    });
    req.on('error', (err) => reject(signal?.aborted ? (signal.reason ?? err) : err));
    req.end(body);
  });
}

/** fetch over node:http(s): follows up to 5 redirects (a 303, or a 301/302 after a POST, turns
 *  into a GET; the token is not sent to another origin), rejects with the socket's own error
 *  (`code` ECONNRESET, ECONNREFUSED, …), and with the signal's reason when aborted. */
export const nodeFetch: typeof fetch = async (input, init) => {
  let url = new URL(input instanceof Request ? input.url : String(input));
  let method = (init?.method ?? 'GET').toUpperCase();
  const headers = headersOf(init);
  let body = typeof init?.body === 'string' ? init.body : undefined;
  const signal = init?.signal ?? undefined;
  for (let hop = 0; ; hop++) {
    const { res, data } = await once(url, method, headers, body, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location !== undefined && hop < MAX_REDIRECTS) {
      const next = new URL(location, url);
      if (next.origin !== url.origin) delete headers['authorization'];
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      url = next;
      continue;
    }
    if (status < 200 || status > 599) throw Object.assign(new Error(`answered with HTTP status ${status}`), { code: 'HUSH_BAD_STATUS' });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
    return new Response(NULL_BODY.has(status) ? null : new Uint8Array(data), { status, statusText: res.statusMessage ?? '', headers: out });
  }
};
