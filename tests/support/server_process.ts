/**
 * Starts `kache serve` as a real process on free loopback ports for
 * end-to-end tests, and always stops it: every test wraps its body in
 * {@link withServer}.
 */
import { fileURLToPath } from "node:url";
import { spawnLogged } from "./child_process.ts";

export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** A free loopback port (the OS picks it; the tiny race before reuse is acceptable in tests). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export interface RunningServer {
  readonly respPort: number;
  readonly kachePort: number;
  readonly process: Deno.ChildProcess;
  /** Everything the server logged so far. */
  output(): string;
  /** Sends SIGTERM and waits for exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

export interface StartOptions {
  /** A config file, passed before the flags as redis-server takes it. */
  readonly configFile?: string;
  /** Ports to pass as flags; each one omitted gets a free port unless a config file is given. */
  readonly ports?: { readonly resp?: number; readonly kache?: number };
  /**
   * V8 flags for the server's runtime, e.g. the ones `deno task serve` ships
   * with, for tests that measure memory the way it runs in production.
   */
  readonly v8Flags?: readonly string[];
  /**
   * The server's `--dir`, kept after stop (for restart tests). Omitted, the
   * server gets a fresh temporary directory, removed when it stops, so no
   * test writes dump.rdb into the repository.
   */
  readonly dir?: string;
}

/** The line `kache serve` logs once it listens (cli/serve.ts). */
const READY_LINE = / ready: RESP on /;

export async function startServer(
  extraArgs: string[] = [],
  options: StartOptions = {},
): Promise<RunningServer> {
  // A port from freePort() can be taken by another test process before the server binds it:
  // then the server exits with "Address already in use", and a fresh pair of ports is tried.
  const ownPorts = options.ports === undefined && options.configFile === undefined;
  for (let attempt = 1;; attempt++) {
    try {
      return await startServerOnce(extraArgs, options);
    } catch (cause) {
      const portTaken = cause instanceof Error && cause.message.includes("Address already in use");
      if (!ownPorts || !portTaken || attempt === 3) throw cause;
    }
  }
}

async function startServerOnce(
  extraArgs: string[],
  options: StartOptions,
): Promise<RunningServer> {
  const fromFile = options.configFile !== undefined;
  const respPort = options.ports?.resp ?? (fromFile ? 0 : freePort());
  const kachePort = options.ports?.kache ?? (fromFile ? 0 : freePort());
  const portFlags = [
    ...(respPort === 0 ? [] : ["--port", String(respPort)]),
    ...(kachePort === 0 ? [] : ["--kache-port", String(kachePort)]),
  ];
  const ownDir = options.dir === undefined
    ? await Deno.makeTempDir({ prefix: "kache-" })
    : undefined;
  // Before the test's flags, so a test may still pass its own --save or --dir.
  const persistenceFlags = ["--dir", options.dir ?? ownDir!, "--save", ""];
  // KACHE_TEST_TCP_BACKEND=epoll runs every test's server on the epoll transport (docs/transport.md).
  const backend = Deno.env.get("KACHE_TEST_TCP_BACKEND");
  const backendFlags = backend === undefined ? [] : ["--tcp-backend", backend];
  const child = spawnLogged(Deno.execPath(), [
    "run",
    "--allow-all",
    ...(options.v8Flags === undefined ? [] : [`--v8-flags=${options.v8Flags.join(",")}`]),
    MAIN,
    "serve",
    ...(fromFile ? [options.configFile!] : []),
    ...persistenceFlags,
    ...backendFlags,
    ...portFlags,
    ...extraArgs,
  ]);
  const started = Date.now();
  const removeOwnDir = async () => {
    if (ownDir !== undefined) await Deno.remove(ownDir, { recursive: true }).catch(() => {});
  };
  while (!READY_LINE.test(child.output())) {
    if (Date.now() - started > 20_000) {
      await child.stop("SIGKILL");
      await removeOwnDir();
      throw new Error(`Server did not start:\n${child.output()}`);
    }
    if (child.exited()) {
      const status = await child.stop();
      await removeOwnDir();
      throw new Error(`Server exited with ${status.code}:\n${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  let stopped: Promise<number> | undefined;
  return {
    respPort,
    kachePort,
    process: child.process,
    output: child.output,
    stop(signal = "SIGTERM") {
      stopped ??= (async () => {
        const status = await child.stop(signal);
        await removeOwnDir();
        return status.code;
      })();
      return stopped;
    },
  };
}

/** Runs `body` against a fresh server and stops the server whatever happens. */
export async function withServer(
  body: (server: RunningServer) => Promise<void>,
  extraArgs: string[] = [],
): Promise<void> {
  const server = await startServer(extraArgs);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}
