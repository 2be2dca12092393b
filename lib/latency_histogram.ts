/**
 * Per-command latency histograms for LATENCY HISTOGRAM and INFO
 * latencystats, in the shape Redis 7 reports them. Redis keeps an HDR
 * histogram per command (1 ns to 1 s, 2 significant digits, so values are
 * known to within 1 %); this one is log-linear with 32 buckets per power of
 * two, so a value is known to within 1/32 (3.1 %), in 832 float64 counters
 * (6.5 KB), created only for commands that ran.
 *
 * Durations are recorded in nanoseconds, clamped to 1 ns … 1 s as Redis does
 * (`updateCommandLatencyHistogram`).
 *
 * @module
 */

/** Redis's LATENCY_HISTOGRAM_MIN_VALUE and LATENCY_HISTOGRAM_MAX_VALUE, in ns. */
const MIN_NANOS = 1;
const MAX_NANOS = 1_000_000_000;
/** Linear buckets per power of two (and below 32 ns, one per ns). */
const SUB_BUCKETS = 32;
const SUB_BITS = 5;
/** 1 s < 2^30 ns: powers 5 … 29 after the 32 linear buckets. */
const BUCKETS = (30 - SUB_BITS + 1) * SUB_BUCKETS;
/** Redis's LATENCY HISTOGRAM reports buckets 1024 ns × 2^k (`hdr_iter_log_init(…, 1024, 2)`). */
const FIRST_REPORTED_NANOS = 1024;
const REPORTED_LEVELS = 21;

export class LatencyHistogram {
  /** Counts per bucket; float64 so they stay exact past 2^32 calls. */
  readonly #counts = new Float64Array(BUCKETS);
  #total = 0;

  get total(): number {
    return this.#total;
  }

  /** Adds one duration, in nanoseconds. */
  record(nanos: number): void {
    const value = Math.min(MAX_NANOS, Math.max(MIN_NANOS, Math.round(nanos)));
    this.#counts[bucketOf(value)]!++;
    this.#total++;
  }

  /**
   * LATENCY HISTOGRAM's `histogram_usec`: [microseconds, cumulative count]
   * for each power-of-two level whose count grew, labelled as Redis labels
   * them (1, 2, 4, 8, 16, 33, 66 … µs). A level counts the values up to its
   * bucket's end, so values just above a power of two (by less than 1/32)
   * count at that level.
   */
  cumulative(): [number, number][] {
    const rows: [number, number][] = [];
    let cumulative = 0;
    let bucket = 0;
    for (let level = 0; level < REPORTED_LEVELS && cumulative < this.#total; level++) {
      const levelNanos = FIRST_REPORTED_NANOS * 2 ** level;
      const previous = cumulative;
      while (bucket < BUCKETS && lowestOf(bucket) <= levelNanos) {
        cumulative += this.#counts[bucket++]!;
      }
      if (cumulative > previous) rows.push([reportedMicros(levelNanos), cumulative]);
    }
    return rows;
  }

  /**
   * The value at `percentile` (0–100) in nanoseconds, as Redis's
   * `hdr_value_at_percentile`: the highest value of the bucket holding that
   * rank; 0 when empty.
   */
  valueAt(percentile: number): number {
    if (this.#total === 0) return 0;
    const wanted = Math.max(1, Math.floor((Math.min(percentile, 100) / 100) * this.#total + 0.5));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#counts[bucket]!;
      if (seen >= wanted) return lowestOf(bucket) + widthOf(bucket) - 1;
    }
    return MAX_NANOS;
  }
}

function bucketOf(nanos: number): number {
  if (nanos < SUB_BUCKETS) return nanos;
  const power = 31 - Math.clz32(nanos);
  const sub = (nanos >>> (power - SUB_BITS)) & (SUB_BUCKETS - 1);
  return (power - SUB_BITS + 1) * SUB_BUCKETS + sub;
}

function lowestOf(bucket: number): number {
  if (bucket < SUB_BUCKETS) return bucket;
  const power = Math.floor(bucket / SUB_BUCKETS) + SUB_BITS - 1;
  return (SUB_BUCKETS + (bucket % SUB_BUCKETS)) * 2 ** (power - SUB_BITS);
}

function widthOf(bucket: number): number {
  if (bucket < SUB_BUCKETS) return 1;
  return 2 ** (Math.floor(bucket / SUB_BUCKETS) - 1);
}

/** Redis's label: the HDR bucket's highest equivalent value (2 digits) in whole µs. */
function reportedMicros(levelNanos: number): number {
  const power = Math.floor(Math.log2(levelNanos));
  return Math.floor((levelNanos + 2 ** Math.max(0, power - 7) - 1) / 1000);
}
