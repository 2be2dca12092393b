/**
 * Timeouts of blocked clients (BLPOP … with a timeout): one timer sleeps
 * until the earliest deadline in the blocking registry's heap and answers
 * every wait that is due with a null array, as Redis's timeout table does.
 * Re-armed after every batch, when a nearer deadline may have appeared.
 *
 * @module
 */
import type { BlockingRegistry } from "../lib/blocking.ts";
import { NIL_ARRAY } from "../lib/reply.ts";

/** The longest delay setTimeout honours. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

export class BlockingTimer {
  readonly #registry: BlockingRegistry;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline the timer is set for; a nearer new deadline re-arms it. */
  #armedFor = Infinity;
  #stopped = false;

  constructor(registry: BlockingRegistry) {
    this.#registry = registry;
  }

  /** Arms the timer for the earliest deadline if that is nearer than the armed one. */
  reschedule(): void {
    if (this.#stopped) return;
    const deadline = this.#registry.nextDeadline();
    if (deadline === undefined || deadline >= this.#armedFor) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    // Past 2^31-1 ms setTimeout would fire at once; waking early finds nothing due and re-arms.
    this.#timer = setTimeout(
      () => this.#fire(),
      Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_DELAY),
    );
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#registry.expire(Date.now(), NIL_ARRAY);
    this.reschedule();
  }
}
