// Endpoint descriptors: one plain object per client-server operation, shared by the server (routing,
// validation) and the client (typed requests). Bodies are TypeBox schemas; query parameters are
// small typed descriptors because query strings are text and are parsed, never coerced.

import type { Static, TSchema } from '@sinclair/typebox';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type QueryParam =
  | { kind: 'string'; required?: boolean; maxLength?: number }
  | { kind: 'int'; required?: boolean; min: number; max: number }
  | { kind: 'bool'; required?: boolean }
  | { kind: 'enum'; required?: boolean; values: readonly string[] }
  | { kind: 'json'; required?: boolean; maxLength?: number };

export type QuerySpec = Record<string, QueryParam>;

type QueryValue<P extends QueryParam> = P extends { kind: 'int' }
  ? number
  : P extends { kind: 'bool' }
    ? boolean
    : P extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : P extends { kind: 'json' }
        ? unknown
        : string;

export type QueryOf<Q extends QuerySpec> = {
  [K in keyof Q as Q[K]['required'] extends true ? K : never]: QueryValue<Q[K]>;
} & {
  [K in keyof Q as Q[K]['required'] extends true ? never : K]?: QueryValue<Q[K]>;
};

export type AuthMode = 'required' | 'optional' | 'none';

export interface Endpoint<
  B extends TSchema | undefined = TSchema | undefined,
  Q extends QuerySpec = QuerySpec,
  R = unknown,
  A extends AuthMode = AuthMode,
  P extends string = string,
> {
  operationId: string;
  method: HttpMethod;
  /** Full path with `{param}` placeholders, e.g. `/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`. */
  path: P;
  auth: A;
  /** Rate-limit bucket, when the operation is limited (login, register, …). */
  rateLimit?: string;
  body?: B;
  /** The body may be left out: an empty body or JSON `null` is read as `{}`. Set where the spec
   *  defines no body, or an object body with no required property (nheko posts `null` to /logout);
   *  not where the body is the user's own content (event content, account data). */
  optionalBody?: true;
  /** The body is the bytes themselves, of any content type (media uploads): the server streams it
   *  to a file under its size limit and never parses it as JSON; `body` stays undefined. */
  rawBody?: true;
  /** The success response is bytes with their own content type (media downloads), not JSON;
   *  errors are JSON as everywhere. */
  rawResponse?: true;
  query?: Q;
  /** Phantom: the success response type. */
  readonly response?: R;
}

export type BodyOf<E> = E extends { body?: infer B } ? (B extends TSchema ? Static<B> : undefined) : never;
export type QueryParamsOf<E> = E extends { query?: infer Q } ? (Q extends QuerySpec ? QueryOf<Q> : Record<string, never>) : never;
export type ResponseOf<E> = E extends { readonly response?: infer R } ? R : never;

/** Path parameter names of a descriptor, from its template. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? { [K in Name | keyof PathParams<Rest>]: string } : object;
export type ParamsOf<E> = E extends { path: infer P extends string } ? PathParams<P> : never;

export function endpoint<const B extends TSchema | undefined, const Q extends QuerySpec, R, const A extends AuthMode, const P extends string>(
  d: Endpoint<B, Q, R, A, P>,
): Endpoint<B, Q, R, A, P> {
  return d;
}

/** Declares the response type of a descriptor without a runtime value. */
export function responds<R>(): R | undefined {
  return undefined;
}

/** Fills `{param}` placeholders with percent-encoded values. */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(v);
  });
}
