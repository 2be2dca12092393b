/**
 * INFO's `instantaneous_*` rates as Redis computes them
 * (`trackInstantaneousMetric`): every 100 ms the server cron samples a
 * running counter; each sample is the rate since the previous one, and the
 * reported value is the mean of the last 16 samples, so about the last
 * 1.6 seconds. The clock is passed in, so the module stays pure.
 *
 * @module
 */

/** Samples kept, as Redis's STATS_METRIC_SAMPLES. */
export const INSTANTANEOUS_SAMPLES = 16;

/** How often the server samples, in ms (Redis's `run_with_period(100)`). */
export const INSTANTANEOUS_PERIOD_MS = 100;

/**
 * One rate over a running counter.
 *
 * @example Ten operations every 100 ms, sampled 16 times, read as 100 per second
 * ```ts
 * import { InstantaneousMetric } from "./instantaneous.ts";
 * const ops = new InstantaneousMetric();
 * for (let tick = 0; tick <= 16; tick++) ops.sample(tick * 10, tick * 100);
 * if (ops.perSecond !== 100) throw new Error(`unexpected ${ops.perSecond}`);
 * ```
 */
export class InstantaneousMetric {
  readonly #samples = new Float64Array(INSTANTANEOUS_SAMPLES);
  #index = 0;
  #lastValue: number | undefined;
  #lastTime = 0;

  /** Records the counter's `value` at `nowMs`; the first call only sets the starting point. */
  sample(value: number, nowMs: number): void {
    const last = this.#lastValue;
    const elapsed = nowMs - this.#lastTime;
    this.#lastValue = value;
    this.#lastTime = nowMs;
    if (last === undefined) return;
    // As Redis: a sample taken in the same millisecond as the last one counts as 0.
    this.#samples[this.#index] = elapsed > 0 ? Math.max(0, (value - last) * 1000 / elapsed) : 0;
    this.#index = (this.#index + 1) % INSTANTANEOUS_SAMPLES;
  }

  /** Mean of the last 16 rates, per second (samples not yet taken count as 0, as in Redis). */
  get perSecond(): number {
    let sum = 0;
    for (const rate of this.#samples) sum += rate;
    return sum / INSTANTANEOUS_SAMPLES;
  }
}

/** Seconds a client buffer peak stays visible, as Redis's CLIENTS_PEAK_MEM_USAGE_SLOTS. */
export const PEAK_SLOTS = 8;

/**
 * The largest value seen over the last few seconds, as Redis keeps
 * `client_recent_max_input_buffer`: one slot per second, the slot for the
 * coming second cleared at each sample, the report the largest slot.
 *
 * @example A peak fades once eight seconds have passed
 * ```ts
 * import { RecentPeak } from "./instantaneous.ts";
 * const peak = new RecentPeak();
 * peak.sample(5000, 1_000);
 * peak.sample(10, 2_000);
 * const early = peak.value;
 * for (let second = 3; second <= 10; second++) peak.sample(10, second * 1000);
 * if (early !== 5000 || peak.value !== 10) throw new Error("unexpected peak");
 * ```
 */
export class RecentPeak {
  readonly #slots = new Float64Array(PEAK_SLOTS);

  /** Records `value` at `nowMs`. */
  sample(value: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = second % PEAK_SLOTS;
    this.#slots[(slot + 1) % PEAK_SLOTS] = 0;
    if (value > this.#slots[slot]!) this.#slots[slot] = value;
  }

  get value(): number {
    let max = 0;
    for (const value of this.#slots) if (value > max) max = value;
    return max;
  }

  reset(): void {
    this.#slots.fill(0);
  }
}
