/**
 * Command help for `kache client`: reads the server's `COMMAND DOCS` reply
 * into a list of {@link CommandDoc}, renders argument syntax the way
 * redis-cli's help does (`key value [NX|XX] [EX seconds|PX milliseconds]`),
 * and formats `help`, `help <command>` and `help @<group>` output.
 *
 * The server describes itself, so help is never out of date; the original
 * server's nine commands are built in for a binary-protocol server that does
 * not answer `COMMAND DOCS`. The reply may be a RESP3 map or, over RESP2 and
 * the binary protocol, the same map flattened to alternating keys and values;
 * both are read.
 *
 * @module
 */
import type { ClientReply } from "../lib/protocol/resp_reply.ts";

/** What help shows about one command. */
export interface CommandDoc {
  /** Upper-case for server docs (`SET`, `CONFIG GET`), lower-case for the built-in nine. */
  readonly name: string;
  /** Argument syntax after the name, e.g. `key value [NX|XX]`. */
  readonly syntax: string;
  readonly summary: string;
  readonly since?: string;
  readonly group: string;
}

/** The original server's commands and their syntax, from its README. */
export const ORIGINAL_COMMANDS: readonly CommandDoc[] = [
  { name: "set", syntax: "<key> <value>", summary: "Set a value for a key", group: "kache" },
  { name: "get", syntax: "<key>", summary: "Retrieve the value of a key", group: "kache" },
  { name: "del", syntax: "<key>", summary: "Delete a key and its value", group: "kache" },
  {
    name: "expire",
    syntax: "<key> <time>",
    summary: "Set a TTL for a key (time in milliseconds)",
    group: "kache",
  },
  { name: "persist", syntax: "<key>", summary: "Remove the TTL from a key", group: "kache" },
  {
    name: "zadd",
    syntax: "<key> <score> <name>",
    summary: "Add a (name, score) pair to a sorted set",
    group: "kache",
  },
  {
    name: "zrem",
    syntax: "<key> <name>",
    summary: "Remove an entry from the sorted set",
    group: "kache",
  },
  {
    name: "zscore",
    syntax: "<key> <name>",
    summary: "Get the score associated with a name",
    group: "kache",
  },
  {
    name: "zquery",
    syntax: "<key> <score> <name> <offset> <limit>",
    summary: "Query a sorted set with ordering and pagination",
    group: "kache",
  },
];

/** Key/value pairs of a map reply, or of an array holding alternating keys and values. */
function entriesOf(reply: ClientReply | undefined): [ClientReply, ClientReply][] | undefined {
  if (reply === undefined) return undefined;
  if (reply.type === "map") return reply.entries.map(([key, value]) => [key, value]);
  if (reply.type !== "array" || reply.items.length % 2 !== 0) return undefined;
  const entries: [ClientReply, ClientReply][] = [];
  for (let i = 0; i < reply.items.length; i += 2) {
    entries.push([reply.items[i]!, reply.items[i + 1]!]);
  }
  return entries;
}

function textOf(reply: ClientReply | undefined): string | undefined {
  if (reply === undefined) return undefined;
  switch (reply.type) {
    case "bulk":
    case "status":
    case "verbatim":
      return reply.value;
    default:
      return undefined;
  }
}

/** A map reply as a plain record of its string-keyed fields. */
function fieldsOf(reply: ClientReply | undefined): Map<string, ClientReply> | undefined {
  const entries = entriesOf(reply);
  if (entries === undefined) return undefined;
  const fields = new Map<string, ClientReply>();
  for (const [key, value] of entries) {
    const name = textOf(key);
    if (name !== undefined) fields.set(name.toLowerCase(), value);
  }
  return fields;
}

function listOf(reply: ClientReply | undefined): readonly ClientReply[] {
  if (reply === undefined) return [];
  return reply.type === "array" || reply.type === "set" ? reply.items : [];
}

/**
 * Reads a `COMMAND DOCS` reply; undefined when it is not one (an error, a
 * status-only binary response, anything unexpected).
 */
export function parseCommandDocs(reply: ClientReply): CommandDoc[] | undefined {
  const entries = entriesOf(reply);
  if (entries === undefined || entries.length === 0) return undefined;
  const docs: CommandDoc[] = [];
  const add = (name: string, docReply: ClientReply) => {
    const fields = fieldsOf(docReply);
    if (fields === undefined) return;
    docs.push({
      name: name.replaceAll("|", " ").toUpperCase(),
      syntax: listOf(fields.get("arguments")).map(argumentSyntax).join(" "),
      summary: textOf(fields.get("summary")) ?? "",
      since: textOf(fields.get("since")),
      group: textOf(fields.get("group")) ?? "generic",
    });
    for (const [subName, subDoc] of entriesOf(fields.get("subcommands")) ?? []) {
      const text = textOf(subName);
      if (text !== undefined) add(text, subDoc);
    }
  };
  for (const [name, docReply] of entries) {
    const text = textOf(name);
    if (text !== undefined) add(text, docReply);
  }
  docs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return docs;
}

/**
 * One argument's syntax as redis-cli's help shows it: tokens upper-case,
 * `oneof` joined with `|`, repeats as `x [x ...]`, optional parts in brackets.
 */
export function argumentSyntax(argument: ClientReply): string {
  const fields = fieldsOf(argument);
  if (fields === undefined) return "";
  const type = textOf(fields.get("type"));
  const rawToken = textOf(fields.get("token"));
  // MIGRATE's empty-key token is the empty string, shown as "" (as redis-cli does).
  const token = rawToken === "" ? '""' : rawToken;
  const flags = new Set(listOf(fields.get("flags")).map((flag) => textOf(flag) ?? ""));
  const children = listOf(fields.get("arguments")).map(argumentSyntax);
  let text: string;
  if (type === "oneof") text = children.join("|");
  else if (type === "block") text = children.join(" ");
  else if (type === "pure-token") text = token ?? "";
  else text = textOf(fields.get("display_text")) ?? textOf(fields.get("name")) ?? "";
  const tokenPrefix = token !== undefined && type !== "pure-token" ? `${token} ` : "";
  if (flags.has("multiple")) {
    const repeated = flags.has("multiple_token") ? tokenPrefix + text : text;
    text = `${text} [${repeated} ...]`;
  }
  text = tokenPrefix + text;
  return flags.has("optional") ? `[${text}]` : text;
}

/** ANSI styling used when help goes to a terminal, as redis-cli colours it. */
export interface HelpStyle {
  name(text: string): string;
  syntax(text: string): string;
  label(text: string): string;
}

export const PLAIN_STYLE: HelpStyle = {
  name: (text) => text,
  syntax: (text) => text,
  label: (text) => text,
};

export const TERMINAL_STYLE: HelpStyle = {
  name: (text) => `\x1b[1m${text}\x1b[0m`,
  syntax: (text) => `\x1b[90m${text}\x1b[0m`,
  label: (text) => `\x1b[33m${text}\x1b[0m`,
};

/** One command's help block, like redis-cli's `help SET`. */
export function formatCommandHelp(doc: CommandDoc, style: HelpStyle, withGroup = true): string {
  let out = `  ${style.name(doc.name)} ${style.syntax(doc.syntax)}\n`;
  out += `  ${style.label("summary:")} ${doc.summary}\n`;
  if (doc.since !== undefined) out += `  ${style.label("since:")} ${doc.since}\n`;
  if (withGroup) out += `  ${style.label("group:")} ${doc.group}\n`;
  return out;
}

/** The text `help` prints with no topic: how to ask, then every command by group. */
export function formatHelpIntro(docs: readonly CommandDoc[]): string {
  let out = "To get help about commands type:\n" +
    '      "help @<group>" to get a list of commands in <group>\n' +
    '      "help <command>" for help on <command>\n' +
    '      "help <tab>" to get a list of possible help topics\n' +
    '      "quit" to exit\n';
  const groups = new Map<string, string[]>();
  for (const doc of docs) {
    if (doc.name.includes(" ")) continue; // subcommands appear under their command's help
    const names = groups.get(doc.group) ?? [];
    names.push(doc.name);
    groups.set(doc.group, names);
  }
  if (groups.size > 0) out += "\nCommands:\n";
  for (const group of [...groups.keys()].sort()) {
    out += wrap(`@${group}:`, groups.get(group)!, 80);
  }
  return out;
}

function wrap(label: string, words: readonly string[], width: number): string {
  let out = "";
  let line = `  ${label}`;
  for (const word of words) {
    if (line.length + 1 + word.length > width) {
      out += line + "\n";
      line = " ".repeat(4);
    }
    line += ` ${word}`;
  }
  return out + line + "\n";
}

/**
 * The answer to `help <topic>`: one command (`help set`, `help config get`),
 * every command of a group (`help @string`), or undefined when nothing matches.
 */
export function formatHelpTopic(
  docs: readonly CommandDoc[],
  topic: readonly string[],
  style: HelpStyle,
): string | undefined {
  const first = topic[0] ?? "";
  if (first.startsWith("@")) {
    const group = first.slice(1).toLowerCase();
    const matches = docs.filter((doc) => doc.group.toLowerCase() === group);
    if (matches.length === 0) return undefined;
    return matches.map((doc) => "\n" + formatCommandHelp(doc, style, false)).join("");
  }
  const wanted = topic.join(" ").toLowerCase();
  // `help config` shows CONFIG and each of its subcommands.
  const matches = docs.filter((doc) => {
    const name = doc.name.toLowerCase();
    return name === wanted || name.startsWith(wanted + " ");
  });
  if (matches.length === 0) return undefined;
  return matches.map((doc) => "\n" + formatCommandHelp(doc, style)).join("") + "\n";
}

/**
 * The inline hint shown after a typed command line, as redis-cli's
 * `hintsCallback` computes it: the syntax of the longest command (or
 * `command subcommand`) the line starts with, minus the arguments already
 * typed, stopping at the first optional part; with a leading space when the
 * line does not end in one. Undefined when no command matches.
 *
 * @example
 * ```ts
 * import { hintFor } from "./command_docs.ts";
 * const docs = [{ name: "SET", syntax: "key value [NX|XX]", summary: "", group: "string" }];
 * hintFor(docs, "set k"); // " value [NX|XX]"
 * ```
 */
export function hintFor(
  docs: readonly CommandDoc[],
  words: readonly string[],
  endsInSpace: boolean,
): string | undefined {
  if (words.length === 0) return undefined;
  let match: CommandDoc | undefined;
  let matchLength = 0;
  for (const doc of docs) {
    const nameWords = doc.name.split(" ");
    if (nameWords.length > words.length || nameWords.length <= matchLength) continue;
    if (nameWords.every((word, i) => word.toLowerCase() === words[i]!.toLowerCase())) {
      match = doc;
      matchLength = nameWords.length;
    }
  }
  if (match === undefined) return undefined;
  let hint = match.syntax;
  // Drop one argument per typed word, up to the first optional part (C loop in redis-cli).
  let toRemove = words.length - matchLength;
  while (toRemove > 0 && hint.length > 0) {
    if (hint[0] === "[") break;
    if (hint[0] === " ") toRemove--;
    hint = hint.slice(1);
  }
  return endsInSpace ? hint : " " + hint;
}

/**
 * Completions of a partly typed `command subcommand` (`config g` → `config get`),
 * in the case being typed; undefined when the line is not a command name
 * followed by a partial word.
 */
export function completeSubcommand(
  docs: readonly CommandDoc[],
  line: string,
): { readonly word: string; readonly hits: string[] } | undefined {
  const typed = /^\s*(\S+)\s+(\S*)$/.exec(line);
  if (typed === null) return undefined;
  const command = typed[1]!.toLowerCase();
  const word = typed[2]!;
  const lower = word.toLowerCase();
  const upper = word !== lower || (word === "" && typed[1] !== command);
  const hits: string[] = [];
  for (const doc of docs) {
    const [name, sub, ...more] = doc.name.toLowerCase().split(" ");
    if (name !== command || sub === undefined || more.length > 0 || !sub.startsWith(lower)) {
      continue;
    }
    hits.push(upper ? sub.toUpperCase() : sub);
  }
  return { word, hits };
}
