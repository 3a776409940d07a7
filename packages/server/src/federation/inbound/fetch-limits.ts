// Per-origin caps on the requests we make because of what an origin sent us (decision 0040): the
// get_missing_events and auth-event fetches its PDUs cause. At most MAX_CONCURRENT at a time per
// origin, and (unless `rate-limits off`) a token bucket per origin; over either cap the fetch is
// not made and the caller sees "the origin did not answer" — the event's prev events become
// backward extremities, or the event fails for missing auth events without being remembered as
// rejected — so a server sending PDUs that point at unknown events cannot make us hammer it or
// spend our time on it beyond its share.

import type { RateLimiter } from '../../http/rate-limit.ts';

export const MAX_CONCURRENT_FETCHES = 4;
export const FETCH_BUCKET = 'federation-fetch';

export class OriginFetchLimits {
  private readonly active = new Map<string, number>();
  readonly stats = { made: 0, refused: 0 };

  constructor(
    private readonly limiter: RateLimiter | null,
    private readonly maxConcurrent = MAX_CONCURRENT_FETCHES,
  ) {}

  /** Runs `fetch` for `origin` when its caps allow, else returns `refused` without fetching. */
  async run<T>(origin: string, refused: T, fetch: () => Promise<T>): Promise<T> {
    const n = this.active.get(origin) ?? 0;
    if (n >= this.maxConcurrent || !this.takeToken(origin)) {
      this.stats.refused++;
      return refused;
    }
    this.stats.made++;
    this.active.set(origin, n + 1);
    try {
      return await fetch();
    } finally {
      const left = (this.active.get(origin) ?? 1) - 1;
      if (left <= 0) this.active.delete(origin);
      else this.active.set(origin, left);
    }
  }

  private takeToken(origin: string): boolean {
    if (!this.limiter) return true;
    try {
      this.limiter.take(FETCH_BUCKET, origin);
      return true;
    } catch {
      return false;
    }
  }
}
