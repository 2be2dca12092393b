/**
 * Renders a {@link ClientReply} the way redis-cli prints it, so people and
 * scripts used to redis-cli read Kache's client output unchanged:
 *
 * - `standard` (redis-cli's TTY output): `(nil)`, `(integer) 1`, quoted and
 *   escaped strings, numbered and indented aggregates (`1)` arrays, `1~`
 *   sets, `1#` maps with `=>`), `(error) …`, status replies and verbatim
 *   text as they are.
 * - `raw` (`--raw`, and redis-cli's default when stdout is not a terminal):
 *   values only, one per line, nil as an empty line.
 * - `verbatim`: raw without the trailing newline; redis-cli uses it for
 *   INFO-like commands whose text already ends in one.
 * - `csv` (`--csv`): one line per reply, aggregates flattened with commas,
 *   strings quoted, nil as `NULL`, errors as `ERROR,"…"`.
 *
 * Binary-protocol responses with a telling status (see
 * `ClientStatusCodeReply`) print their item, if any, then the status on a
 * line of its own: `(status 2: not found)`. In raw output the status is
 * printed only when there is no item, so values stay one per line.
 *
 * The output is a one-byte string (char code = byte): reply bytes pass
 * through unchanged where redis-cli prints them raw. Write it out with
 * `stringToBytes`, never through a UTF-8 encoder.
 *
 * @module
 */
import { type ClientReply, KACHE_STATUS_NAMES } from "../lib/protocol/resp_reply.ts";
import { quoteString } from "../lib/format.ts";

/** How to print replies; see the module comment. */
export type OutputMode = "standard" | "raw" | "verbatim" | "csv";

/**
 * Renders one reply, trailing newline included (except in `verbatim` mode).
 *
 * @example Arrays are numbered like redis-cli
 * ```ts
 * import { renderReply } from "./render.ts";
 * renderReply({ type: "array", items: [{ type: "bulk", value: "a" }, { type: "integer", value: 2n }] });
 * // '1) "a"\n2) (integer) 2\n'
 * ```
 */
export function renderReply(reply: ClientReply, mode: OutputMode = "standard"): string {
  switch (mode) {
    case "standard":
      return renderStandard(reply, "");
    case "raw":
      return renderRaw(reply) + "\n";
    case "verbatim":
      return renderRaw(reply);
    case "csv":
      return renderCsv(reply) + "\n";
  }
}

/** The text of a binary-protocol status: `status 2: not found`, or `status 9` when unknown. */
export function describeStatus(status: number): string {
  const name = KACHE_STATUS_NAMES[status];
  return name === undefined ? `status ${status}` : `status ${status}: ${name}`;
}

function renderStandard(reply: ClientReply, prefix: string): string {
  switch (reply.type) {
    case "error":
      return `(error) ${reply.message}\n`;
    case "status":
      return reply.value + "\n";
    case "integer":
      return `(integer) ${reply.value}\n`;
    case "double":
      return `(double) ${reply.text}\n`;
    case "bulk":
      return quoteString(reply.value) + "\n";
    case "verbatim":
      return reply.value + "\n";
    case "null":
    case "null-array":
      return "(nil)\n";
    case "boolean":
      return reply.value ? "(true)\n" : "(false)\n";
    case "big-number":
      return `(big number) ${reply.value}\n`;
    case "array":
    case "set":
    case "push":
      if (reply.type === "push" && isInvalidation(reply.items)) {
        return renderInvalidation(reply.items[1]!);
      }
      return renderList(reply.type, reply.items, prefix);
    case "map":
      return renderMap(reply.entries, prefix);
    case "status-code": {
      const item = reply.item === undefined ? "" : renderStandard(reply.item, prefix);
      return `${item}(${describeStatus(reply.status)})\n`;
    }
  }
}

const EMPTY_TEXT = {
  array: "(empty array)\n",
  set: "(empty set)\n",
  push: "(empty push)\n",
  map: "(empty hash)\n",
} as const;

/**
 * Numbered elements. The first element goes right after the caller's own
 * index, later ones start on a new line with the caller's indentation; nested
 * levels indent by the width of the widest index plus two, as redis-cli does.
 */
function renderList(
  type: "array" | "set" | "push",
  items: readonly ClientReply[],
  prefix: string,
): string {
  if (items.length === 0) return EMPTY_TEXT[type];
  const width = String(items.length).length;
  const childPrefix = prefix + " ".repeat(width + 2);
  const separator = type === "set" ? "~" : ")";
  let out = "";
  for (let i = 0; i < items.length; i++) {
    out += `${i === 0 ? "" : prefix}${String(i + 1).padStart(width)}${separator} `;
    out += renderStandard(items[i]!, childPrefix);
  }
  return out;
}

function renderMap(
  entries: readonly (readonly [ClientReply, ClientReply])[],
  prefix: string,
): string {
  if (entries.length === 0) return EMPTY_TEXT.map;
  const width = String(entries.length).length;
  const childPrefix = prefix + " ".repeat(width + 2);
  let out = "";
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i]!;
    out += `${i === 0 ? "" : prefix}${String(i + 1).padStart(width)}# `;
    out += renderStandard(key, childPrefix).slice(0, -1) + " => ";
    // A value spanning lines starts on its own line so its numbers line up.
    if (isMultiline(value)) out += "\n" + childPrefix;
    out += renderStandard(value, childPrefix);
  }
  return out;
}

function isMultiline(reply: ClientReply): boolean {
  switch (reply.type) {
    case "array":
    case "set":
    case "push":
      if (reply.items.length === 0) return false;
      return reply.items.length > 1 || isMultiline(reply.items[0]!);
    case "map":
      if (reply.entries.length === 0) return false;
      return reply.entries.length > 1 || isMultiline(reply.entries[0]![1]);
    default:
      return false;
  }
}

/** Client-side-caching invalidations get redis-cli's one-line form: `-> invalidate: 'a', 'b'`. */
function isInvalidation(items: readonly ClientReply[]): boolean {
  const [kind, keys] = items;
  return items.length === 2 && kind?.type === "bulk" && kind.value.startsWith("invalidate") &&
    keys?.type === "array" && keys.items.every((key) => key.type === "bulk");
}

function renderInvalidation(keys: ClientReply): string {
  const names = keys.type === "array"
    ? keys.items.map((key) => `'${key.type === "bulk" ? key.value : ""}'`)
    : [];
  return `-> invalidate: ${names.join(", ")}\n`;
}

function renderRaw(reply: ClientReply): string {
  switch (reply.type) {
    case "null":
    case "null-array":
      return "";
    case "error":
      // redis-cli ends raw errors with a newline of their own, so they are followed by a blank line.
      return reply.message + "\n";
    case "status":
    case "bulk":
    case "verbatim":
      return reply.value;
    case "boolean":
      return reply.value ? "(true)" : "(false)";
    case "integer":
    case "big-number":
      return String(reply.value);
    case "double":
      return reply.text;
    case "array":
    case "set":
    case "push":
      return reply.items.map(renderRaw).join("\n");
    case "map":
      return reply.entries.map(([key, value]) => `${renderRaw(key)} ${renderRaw(value)}`).join(
        "\n",
      );
    case "status-code":
      return reply.item === undefined ? `(${describeStatus(reply.status)})` : renderRaw(reply.item);
  }
}

/** redis-cli's `cliFormatReplyCSV`: maps are flattened into key, value, key, value. */
function renderCsv(reply: ClientReply): string {
  switch (reply.type) {
    case "error":
      return "ERROR," + quoteString(reply.message);
    case "status":
    case "bulk":
    case "verbatim":
      return quoteString(reply.value);
    case "integer":
    case "big-number":
      return String(reply.value);
    case "double":
      return reply.text;
    case "null":
    case "null-array":
      return "NULL";
    case "boolean":
      return reply.value ? "true" : "false";
    case "array":
    case "set":
    case "push":
      return reply.items.map(renderCsv).join(",");
    case "map":
      return reply.entries.map(([key, value]) => `${renderCsv(key)},${renderCsv(value)}`).join(",");
    case "status-code":
      return reply.item === undefined
        ? quoteString(describeStatus(reply.status))
        : renderCsv(reply.item);
  }
}
