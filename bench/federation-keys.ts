// `node --import tsx bench/federation-keys.ts` — what federation authentication costs here: an
// X-Matrix header parsed, a request signed and verified; another server's key fetched cold (TLS
// connect + discovery + GET /_matrix/key/v2/server + self-signature check + database write), from
// the database cache (a fresh process) and from memory. The key server is an in-process Hush with
// its TLS listener and a certificate from a CA made here with openssl.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { resolveConfig } from '../packages/server/src/config/config.ts';
import { startServer } from '../packages/server/src/main.ts';
import { openDatabase } from '../packages/server/src/storage/db.ts';
import { createFederation } from '../packages/server/src/federation/index.ts';
import { generateSigningKey } from '../packages/server/src/services/events/crypto.ts';
import { parseXMatrix, signRequest, verifyRequestSignature } from '../packages/server/src/federation/transport/x-matrix.ts';

const quiet = pino({ level: 'silent' });

function perOp(n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(n, 200); i++) fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t) * 1000) / n; // µs
}

async function median(n: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)] as number;
}

const key = generateSigningKey();
const req = { method: 'GET', uri: '/_matrix/federation/v1/query/profile?user_id=%40a%3Alocalhost%3A8448', origin: 'a.example', destination: 'b.example' };
const header = signRequest(req, key.keyId, key.privateKey);
const auth = parseXMatrix(header);
const figures: Record<string, string> = {
  'X-Matrix header parse': `${perOp(50_000, () => parseXMatrix(header)).toFixed(1)} µs`,
  'request sign (canonical JSON + ed25519)': `${perOp(10_000, () => signRequest(req, key.keyId, key.privateKey)).toFixed(1)} µs`,
  'request signature verify': `${perOp(10_000, () => verifyRequestSignature(req, auth, key.privateKey)).toFixed(1)} µs`,
};

const dir = mkdtempSync(join(tmpdir(), 'hush-fedbench-'));
try {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=bench CA', '-addext', 'basicConstraints=critical,CA:TRUE');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 's.key', '-out', 's.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 's.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 's.crt', '-days', '1', '-extfile', 'ext.cnf');
  // The key server: port 0 cannot be its name, so take a port first.
  const probe = await startServer(
    resolveConfig({ 'server-name': 'localhost:1', federation: 'on', 'federation-port': 0, 'tls-cert': join(dir, 's.crt'), 'tls-key': join(dir, 's.key'), database: ':memory:', 'log-level': 'silent' }),
    quiet,
  );
  const port = probe.federationPort as number;
  await probe.close();
  const server = await startServer(
    resolveConfig({ 'server-name': `localhost:${port}`, federation: 'on', 'federation-port': port, 'tls-cert': join(dir, 's.crt'), 'tls-key': join(dir, 's.key'), database: ':memory:', 'log-level': 'silent' }),
    quiet,
  );
  const name = `localhost:${port}`;
  const keyId = Object.keys(((await (await fetch(`${server.url}/_matrix/key/v2/server`)).json()) as { verify_keys: object }).verify_keys)[0] as string;
  const config = resolveConfig({ 'server-name': 'bench.example', federation: 'on', 'federation-ca': join(dir, 'ca.crt'), 'outbound-allow-private': 'on', database: ':memory:' });
  // Cold: a fresh database and key ring each time (set up outside the timing).
  const coldTimes: number[] = [];
  for (let i = 0; i < 15; i++) {
    const db = await openDatabase(':memory:');
    const f = await createFederation({ config, db: db.db, logger: quiet });
    const t = performance.now();
    if (!(await f.keyRing.requestKey(name, keyId))) throw new Error('no key');
    coldTimes.push(performance.now() - t);
    await f.close();
    await db.close();
  }
  coldTimes.sort((x, y) => x - y);
  const cold = coldTimes[7] as number;
  const h = await openDatabase(':memory:');
  const warm = await createFederation({ config, db: h.db, logger: quiet });
  await warm.keyRing.requestKey(name, keyId);
  const fromDb = await median(200, async () => {
    const f = await createFederation({ config, db: h.db, logger: quiet });
    await f.keyRing.requestKey(name, keyId);
    await f.close();
  });
  const memory = (await median(2000, async () => void (await warm.keyRing.requestKey(name, keyId)))) * 1000;
  figures['key fetch, cold (TLS connect, discovery, fetch, check, store)'] = `${cold.toFixed(2)} ms`;
  figures['key lookup, database cache (fresh key ring)'] = `${fromDb.toFixed(3)} ms (includes building the key ring)`;
  figures['key lookup, memory cache'] = `${memory.toFixed(1)} µs`;
  await warm.close();
  await h.close();
  await server.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(66)} ${v}`);
