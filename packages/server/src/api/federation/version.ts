// GET /_matrix/federation/v1/version (version.yaml, getVersion): our name and version. No auth.

import { readFileSync } from 'node:fs';
import { federation as spec } from '@hush/protocol';
import { defineFederationRoute, type FederationRouteDef } from '../../federation/routes.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function routes(): FederationRouteDef[] {
  return [defineFederationRoute(spec.getVersion, { signed: false }, () => ({ server: { name: 'Hush', version: VERSION } }))];
}
