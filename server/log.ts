/**
 * Log lines in redis-server's format (`pid:M 25 Nov 2026 12:00:00.123 * text`),
 * on stdout, filtered by `loglevel`. The marks are Redis's: `.` debug,
 * `-` verbose, `*` notice, `#` warning.
 *
 * @module
 */

export type LogLevel = "debug" | "verbose" | "notice" | "warning" | "nothing";

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK: Record<Exclude<LogLevel, "nothing">, string> = {
  debug: ".",
  verbose: "-",
  notice: "*",
  warning: "#",
};
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export class Logger {
  level: LogLevel;
  readonly #write: (line: string) => void;

  constructor(
    level: LogLevel = "notice",
    write: (line: string) => void = (line) => console.log(line),
  ) {
    this.level = level;
    this.#write = write;
  }

  debug(text: string): void {
    this.#log("debug", text);
  }
  verbose(text: string): void {
    this.#log("verbose", text);
  }
  notice(text: string): void {
    this.#log("notice", text);
  }
  warning(text: string): void {
    this.#log("warning", text);
  }

  #log(level: Exclude<LogLevel, "nothing">, text: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const now = new Date();
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    const stamp = `${pad(now.getUTCDate())} ${MONTHS[now.getUTCMonth()]} ${now.getUTCFullYear()} ${
      pad(now.getUTCHours())
    }:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds(), 3)}`;
    this.#write(`${Deno.pid}:M ${stamp} ${MARK[level]} ${text}`);
  }
}
