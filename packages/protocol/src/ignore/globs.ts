// Glob sets ("Glob-style matching" in the spec appendices): `*` is any run of characters, `?` one
// character, the whole string must match. Compiled once per list change: exact entries go in a
// Set; every other glob is filed under its rarest literal run (fewest globs share it; the longer
// on ties), so a decision looks up the
// input's substrings of those lengths and tests only the globs whose literal occurs — cost grows
// with the input's length, not with the number of globs. Globs without any literal (`*`, `?*`)
// are always tested.

interface Glob {
  readonly re: RegExp;
}

export interface GlobSet {
  readonly exact: ReadonlySet<string>;
  readonly byLiteral: ReadonlyMap<string, readonly Glob[]>;
  /** Distinct lengths of the literal keys, so lookups only try those. */
  readonly lengths: readonly number[];
  readonly always: readonly Glob[];
}

function globRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

function literalRuns(glob: string): string[] {
  return glob.split(/[*?]/).filter((r) => r.length > 0);
}

export function compileGlobs(globs: readonly string[]): GlobSet {
  const exact = new Set<string>();
  const byLiteral = new Map<string, Glob[]>();
  const always: Glob[] = [];
  const wild = globs.filter((g) => {
    if (g.includes('*') || g.includes('?')) return true;
    exact.add(g);
    return false;
  });
  const frequency = new Map<string, number>();
  for (const g of wild) for (const run of new Set(literalRuns(g))) frequency.set(run, (frequency.get(run) ?? 0) + 1);
  for (const g of wild) {
    const glob = { re: globRegExp(g) };
    let best = '';
    for (const run of literalRuns(g)) {
      const better = best === '' || (frequency.get(run) ?? 0) < (frequency.get(best) ?? 0) || ((frequency.get(run) ?? 0) === (frequency.get(best) ?? 0) && run.length > best.length);
      if (better) best = run;
    }
    if (best === '') always.push(glob);
    else {
      const list = byLiteral.get(best);
      if (list) list.push(glob);
      else byLiteral.set(best, [glob]);
    }
  }
  const lengths = [...new Set([...byLiteral.keys()].map((k) => k.length))].sort((a, b) => a - b);
  return { exact, byLiteral, lengths, always };
}

export function globMatches(set: GlobSet, s: string): boolean {
  if (set.exact.has(s)) return true;
  for (const g of set.always) if (g.re.test(s)) return true;
  if (set.byLiteral.size === 0) return false;
  for (const len of set.lengths) {
    if (len > s.length) break;
    for (let i = 0; i + len <= s.length; i++) {
      const candidates = set.byLiteral.get(s.slice(i, i + len));
      if (candidates) for (const g of candidates) if (g.re.test(s)) return true;
    }
  }
  return false;
}
