// Token-bucket rate limits per (bucket, key): a client address, or an origin server for federation.
// Off with `--rate-limits off`.

import { ErrCode, MatrixError } from '@hush/protocol';

export interface BucketConfig {
  /** Requests allowed in a burst. */
  burst: number;
  /** Sustained requests per second. */
  perSecond: number;
}

export const DEFAULT_BUCKETS: Record<string, BucketConfig> = {
  login: { burst: 5, perSecond: 0.2 },
  register: { burst: 5, perSecond: 0.2 },
  /** Signed federation requests, per origin server (decision 0040). */
  federation: { burst: 200, perSecond: 50 },
  /** get_missing_events and auth-event fetches an origin's PDUs make us send it (decision 0040). */
  'federation-fetch': { burst: 60, perSecond: 5 },
};

interface State {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly state = new Map<string, State>();
  constructor(
    private readonly buckets: Record<string, BucketConfig>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes one token or throws 429 M_LIMIT_EXCEEDED with retry_after_ms. */
  take(bucket: string, key: string): void {
    const cfg = this.buckets[bucket];
    if (!cfg) return;
    const id = `${bucket}\u0000${key}`;
    const now = this.now();
    const s = this.state.get(id) ?? { tokens: cfg.burst, at: now };
    s.tokens = Math.min(cfg.burst, s.tokens + ((now - s.at) / 1000) * cfg.perSecond);
    s.at = now;
    if (s.tokens < 1) {
      this.state.set(id, s);
      const retry = Math.ceil(((1 - s.tokens) / cfg.perSecond) * 1000);
      throw new MatrixError(429, ErrCode.LIMIT_EXCEEDED, 'Too many requests', { retry_after_ms: retry });
    }
    s.tokens -= 1;
    this.state.set(id, s);
    if (this.state.size > 100_000) this.sweep(now);
  }

  private sweep(now: number): void {
    for (const [id, s] of this.state) if (now - s.at > 3_600_000) this.state.delete(id);
  }
}
