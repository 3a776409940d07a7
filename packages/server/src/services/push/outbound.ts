// Outbound HTTP to push gateways: a POST of JSON with a time limit, over node:http(s), whose DNS
// lookup refuses private, loopback, link-local and other non-public addresses unless the operator
// allowed them (`outbound-allow-private`). Checked on the addresses actually connected to, so a
// name that resolves to 127.0.0.1 is refused too.

import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** Whether an IP address is not a public unicast address. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return true;
  if (family === 6) {
    // IPv4-mapped addresses are judged as the IPv4 address they carry.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(ip, 'ipv6');
  }
  return blocked.check(ip, 'ipv4');
}

/** A host that names a private address without DNS: an IP literal in a private range, or localhost. */
export function isPrivateLiteral(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isIP(h) !== 0 && isPrivateAddress(h);
}

export class OutboundRefused extends Error {}

/** A dns.lookup that fails for private addresses. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const ok = addresses.filter((a) => !isPrivateAddress(a.address));
    if (ok.length === 0) return callback(new OutboundRefused(`${hostname} resolves to a non-public address`), '', 0);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
    const first = ok[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
};

export interface PostResult {
  status: number;
  body: string;
}

/** POSTs `body` as JSON to `url`; rejects on a network error, a refused address or the time limit. */
export function postJson(url: string, body: unknown, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<PostResult> {
  const u = new URL(url);
  if (!opts.allowPrivate && isPrivateLiteral(u.hostname)) return Promise.reject(new OutboundRefused(`${u.hostname} is a non-public address`));
  const payload = Buffer.from(JSON.stringify(body));
  const options: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': payload.length },
    timeout: opts.timeoutMs,
    ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup }),
  };
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // A gateway's answer is a short JSON object; anything past 64 KB is not read.
        if (size <= 65_536) chunks.push(c);
        else res.destroy(new Error('gateway answer too large'));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
