// The `support` configuration key: what GET /.well-known/matrix/support serves (spec support.yaml,
// v1.10). YAML only, e.g. `support: {contacts: [{matrix_id: "@admin:example.org", role:
// m.role.admin}], support_page: https://example.org/help}`. Checked when the config is read.

import { isUserId } from '@hush/protocol';

export interface SupportContact {
  role: string;
  matrix_id?: string;
  email_address?: string;
}

export interface SupportInfo {
  contacts?: SupportContact[];
  support_page?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** `m.role.admin`, `m.role.security`, or a namespaced identifier ("Unspecified roles are permitted"). */
const ROLE = /^(m\.role\.(admin|security)|[a-z0-9-]+(\.[a-z0-9-]+)+\.[a-z0-9_.-]+)$/i;

/** Parses the key's value; `fail` is called with a message for anything malformed. */
export function parseSupport(v: unknown, fail: (msg: string) => Error): SupportInfo | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw fail('support must be a mapping with contacts and/or support_page');
  const out: SupportInfo = {};
  if (v['contacts'] !== undefined) {
    if (!Array.isArray(v['contacts'])) throw fail('support.contacts must be a list');
    out.contacts = v['contacts'].map((c: unknown, i) => {
      const where = `support.contacts[${i}]`;
      if (!isObject(c)) throw fail(`${where} must be a mapping`);
      const { role, matrix_id, email_address } = c;
      if (typeof role !== 'string' || !ROLE.test(role)) throw fail(`${where}.role must be m.role.admin, m.role.security or a namespaced identifier`);
      if (matrix_id === undefined && email_address === undefined) throw fail(`${where} needs matrix_id or email_address`);
      if (matrix_id !== undefined && !isUserId(matrix_id)) throw fail(`${where}.matrix_id must be a Matrix user ID`);
      if (email_address !== undefined && (typeof email_address !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email_address))) {
        throw fail(`${where}.email_address must be an email address`);
      }
      const contact: SupportContact = { role };
      if (matrix_id !== undefined) contact.matrix_id = matrix_id;
      if (email_address !== undefined) contact.email_address = email_address;
      return contact;
    });
  }
  if (v['support_page'] !== undefined) {
    const page = v['support_page'];
    if (typeof page !== 'string' || !/^https?:\/\/[^\s]+$/.test(page)) throw fail('support.support_page must be an http(s) URL');
    out.support_page = page;
  }
  // "At least one of contacts or support_page is required. If only contacts is set, it must contain at least one item."
  if (out.support_page === undefined && (out.contacts?.length ?? 0) === 0) throw fail('support needs support_page or at least one contact');
  return out;
}
