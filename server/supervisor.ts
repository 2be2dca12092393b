/**
 * `supervised systemd`: tells systemd the server is ready (sd_notify's
 * `READY=1`) with one datagram to the Unix socket named by $NOTIFY_SOCKET,
 * so a `Type=notify` unit starts its dependents only once clients can connect.
 * Deno sends Unix datagrams only from a bound socket of its own
 * (`Deno.listenDatagram`, unstable "net"), so the sender binds a path in a
 * fresh temporary directory and removes both after sending.
 *
 * @module
 */

/** Sends `state` (e.g. "READY=1") to systemd; returns why it could not, or undefined. */
export async function notifySystemd(
  state: string,
  socketPath: string | undefined = Deno.env.get("NOTIFY_SOCKET"),
): Promise<string | undefined> {
  if (socketPath === undefined || socketPath === "") {
    return "systemd supervision requested, but NOTIFY_SOCKET is not set";
  }
  if (socketPath.startsWith("@")) {
    return `NOTIFY_SOCKET "${socketPath}" is an abstract socket, which Deno cannot address`;
  }
  if (typeof Deno.listenDatagram !== "function") {
    return "Deno.listenDatagram is unavailable (run with --unstable-net)";
  }
  const directory = Deno.makeTempDirSync({ prefix: "kache-notify-" });
  try {
    const sender = Deno.listenDatagram({ transport: "unixpacket", path: `${directory}/sender` });
    try {
      await sender.send(new TextEncoder().encode(state), {
        transport: "unixpacket",
        path: socketPath,
      });
    } finally {
      sender.close();
    }
    return undefined;
  } catch (cause) {
    return `could not notify systemd at "${socketPath}": ${(cause as Error).message}`;
  } finally {
    Deno.removeSync(directory, { recursive: true });
  }
}
