// Descriptors for reading push rules (spec file pushrules.yaml). The spec writes both paths with a
// trailing slash; the slash-less spellings are added as separate descriptors for clients that drop it.

import { endpoint, responds } from '../endpoint.ts';
import type { PushRuleset, PushRulesResponse } from '../responses.ts';

const V3 = '/_matrix/client/v3';

export const getPushRules = endpoint({
  operationId: 'getPushRules',
  method: 'GET',
  path: `${V3}/pushrules/`,
  auth: 'required',
  response: responds<PushRulesResponse>(),
});

/** `GET /pushrules` (no trailing slash): same operation as getPushRules. */
export const getPushRulesNoSlash = endpoint({
  operationId: 'getPushRules',
  method: 'GET',
  path: `${V3}/pushrules`,
  auth: 'required',
  response: responds<PushRulesResponse>(),
});

export const getPushRulesGlobal = endpoint({
  operationId: 'getPushRulesGlobal',
  method: 'GET',
  path: `${V3}/pushrules/global/`,
  auth: 'required',
  response: responds<PushRuleset>(),
});

/** `GET /pushrules/global` (no trailing slash): same operation as getPushRulesGlobal. */
export const getPushRulesGlobalNoSlash = endpoint({
  operationId: 'getPushRulesGlobal',
  method: 'GET',
  path: `${V3}/pushrules/global`,
  auth: 'required',
  response: responds<PushRuleset>(),
});
