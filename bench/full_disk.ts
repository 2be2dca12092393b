/**
 * Acknowledged writes lost when the disk fills up, Kache against Redis
 * (issue 10, item 1): each server gets a fresh tmpfs of `--size` as its
 * `dir`, `appendonly yes`, `appendfsync everysec`; `--clients` connections
 * send 1 KB SETs (pipelined `--pipeline` deep) for `--seconds`, keeping
 * every key whose SET was answered +OK; then the server is killed with
 * SIGKILL, restarted on the same files, and every acknowledged key is
 * looked up. Root only (it mounts tmpfs).
 *
 *   deno task bench:full-disk [--seconds 10] [--clients 8] [--pipeline 16] [--size 5m]
 *
 * Prints a Markdown table: acknowledged, refused (and the first error
 * text), RSS at the kill, and acknowledged writes missing after restart.
 * A benchmark, not a test: it asserts nothing.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Server, start } from "./persistence.ts";
import { RawRespClient } from "../tests/support/resp_client.ts";
import { mountTmpfs } from "../tests/support/tmpfs.ts";

const VALUE = "v".repeat(1024);

interface Outcome {
  readonly name: Server["name"];
  readonly acknowledged: number;
  readonly refused: number;
  readonly firstError: string;
  readonly rssMb: number;
  readonly missing: number;
}

function encode(argv: readonly string[]): string {
  let text = `*${argv.length}\r\n`;
  for (const arg of argv) text += `$${arg.length}\r\n${arg}\r\n`;
  return text;
}

function rssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** One client: pipelined SETs until the deadline; returns the keys answered +OK. */
async function writeUntil(
  port: number,
  client: number,
  pipeline: number,
  deadline: number,
): Promise<{ acknowledged: string[]; refused: number; firstError: string }> {
  const connection = await RawRespClient.connect(port);
  const acknowledged: string[] = [];
  let refused = 0;
  let firstError = "";
  const encoder = new TextEncoder();
  try {
    for (let next = 0; Date.now() < deadline;) {
      const keys: string[] = [];
      for (let i = 0; i < pipeline; i++) keys.push(`c${client}:${next++}`);
      await connection.writeRaw(
        encoder.encode(keys.map((key) => encode(["SET", key, VALUE])).join("")),
      );
      for (const key of keys) {
        const { reply } = await connection.readReply();
        if (reply.type === "status") acknowledged.push(key);
        else {
          refused++;
          if (firstError === "" && reply.type === "error") firstError = reply.message;
        }
      }
    }
  } finally {
    connection.close();
  }
  return { acknowledged, refused, firstError };
}

/** How many of `keys` the server does not have. */
async function countMissing(port: number, keys: readonly string[]): Promise<number> {
  const connection = await RawRespClient.connect(port);
  const encoder = new TextEncoder();
  let missing = 0;
  try {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      await connection.writeRaw(
        encoder.encode(batch.map((key) => encode(["EXISTS", key])).join("")),
      );
      for (let i = 0; i < batch.length; i++) {
        const { reply } = await connection.readReply();
        if (reply.type !== "integer" || reply.value !== 1n) missing++;
      }
    }
  } finally {
    connection.close();
  }
  return missing;
}

async function measure(
  name: Server["name"],
  options: { seconds: number; clients: number; pipeline: number; size: string },
): Promise<Outcome> {
  const tmpfs = await mountTmpfs(options.size);
  const flags = ["--appendonly", "yes", "--appendfsync", "everysec"];
  try {
    let server = await start(name, tmpfs.path, flags);
    const deadline = Date.now() + options.seconds * 1000;
    const results = await Promise.all(
      Array.from(
        { length: options.clients },
        (_, client) => writeUntil(server.port, client, options.pipeline, deadline),
      ),
    );
    const rss = rssMb(server.pid);
    await server.stop("SIGKILL");
    server = await start(name, tmpfs.path, flags);
    try {
      const acknowledged = results.flatMap((result) => result.acknowledged);
      return {
        name,
        acknowledged: acknowledged.length,
        refused: results.reduce((sum, result) => sum + result.refused, 0),
        firstError: results.find((result) => result.firstError !== "")?.firstError ?? "",
        rssMb: rss,
        missing: await countMissing(server.port, acknowledged),
      };
    } finally {
      await server.stop("SIGKILL");
    }
  } finally {
    await tmpfs.unmount();
  }
}

export async function runFullDiskBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: "string", default: "10" },
      clients: { type: "string", default: "8" },
      pipeline: { type: "string", default: "16" },
      size: { type: "string", default: "5m" },
    },
  });
  const options = {
    seconds: Number(values.seconds),
    clients: Number(values.clients),
    pipeline: Number(values.pipeline),
    size: values.size,
  };
  const rows: string[] = [
    `Full disk: tmpfs ${options.size}, appendonly yes, appendfsync everysec, ${options.clients} clients × pipeline ${options.pipeline} of 1 KB SETs for ${options.seconds} s, then SIGKILL and restart`,
    "",
    "| server | acknowledged | refused | first error | RSS at kill (MB) | acknowledged missing after restart |",
    "|---|---:|---:|---|---:|---:|",
  ];
  for (const name of ["redis", "kache"] as const) {
    const outcome = await measure(name, options);
    rows.push(
      `| ${name} | ${outcome.acknowledged} | ${outcome.refused} | ${
        outcome.firstError || "—"
      } | ${outcome.rssMb} | ${outcome.missing} |`,
    );
  }
  console.log(rows.join("\n"));
  return 0;
}

if (import.meta.main) Deno.exit(await runFullDiskBench(Deno.args));
