// Glob sets ("Glob-style matching" in the spec appendices): `*` is any run of characters, `?` one
// character, the whole string must match. Compiled once per list change into an exact-match Set
// plus one RegExp for the entries that have wildcards, so a decision is a hash lookup and at most
// one regex test, whatever the list's size.

export interface GlobSet {
  readonly exact: ReadonlySet<string>;
  readonly pattern: RegExp | null;
}

export const EMPTY_GLOBS: GlobSet = { exact: new Set(), pattern: null };

function globSource(glob: string): string {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return src;
}

export function compileGlobs(globs: readonly string[]): GlobSet {
  const exact = new Set<string>();
  const wild: string[] = [];
  for (const g of globs) {
    if (g.includes('*') || g.includes('?')) wild.push(globSource(g));
    else exact.add(g);
  }
  return { exact, pattern: wild.length > 0 ? new RegExp(`^(?:${wild.join('|')})$`, 's') : null };
}

export function globMatches(set: GlobSet, s: string): boolean {
  return set.exact.has(s) || (set.pattern !== null && set.pattern.test(s));
}
