/**
 * The optional HTTP listener (`http-port`, 0 = off): Prometheus `/metrics`,
 * INFO as JSON at `/info.json`, and a live page at `/`. It binds the first
 * `bind` address (loopback by default), and with `requirepass` set it asks
 * for HTTP Basic authentication with that password (any user name), so it
 * opens nothing the RESP port does not.
 *
 * @module
 */
import { infoToPrometheus, parseInfo } from "../lib/metrics.ts";
import { LIVE_PAGE } from "./http_page.ts";
import type { KacheServer } from "./server.ts";

export interface HttpView {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the listener on `hostname:port`; resolves once it listens. */
export function startHttpView(server: KacheServer, hostname: string, port: number): HttpView {
  const controller = new AbortController();
  const httpServer = Deno.serve({
    hostname,
    port,
    signal: controller.signal,
    onListen: () => {},
  }, (request) => respond(server, request));
  return {
    port: (httpServer.addr as Deno.NetAddr).port,
    close: async () => {
      controller.abort();
      await httpServer.finished;
    },
  };
}

function respond(server: KacheServer, request: Request): Response {
  if (!authorized(server, request)) {
    return new Response("Authentication required (the server's requirepass).\n", {
      status: 401,
      headers: { "www-authenticate": 'Basic realm="kache", charset="UTF-8"' },
    });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const path = new URL(request.url).pathname;
  const noStore = { "cache-control": "no-store" };
  switch (path) {
    case "/metrics":
      return new Response(infoToPrometheus(server.state.info(["everything"])), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", ...noStore },
      });
    case "/info.json": {
      const sections = parseInfo(server.state.info(["everything"]));
      const json: Record<string, Record<string, string>> = {};
      for (const [name, fields] of sections) json[name] = Object.fromEntries(fields);
      return Response.json(json, { headers: noStore });
    }
    case "/":
      return new Response(LIVE_PAGE, {
        headers: { "content-type": "text/html; charset=utf-8", ...noStore },
      });
    default:
      return new Response("Not found: try /, /metrics or /info.json\n", { status: 404 });
  }
}

/** Basic authentication against requirepass (compared in constant time), when one is set. */
function authorized(server: KacheServer, request: Request): boolean {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  let user = "default";
  let password = "";
  if (match !== null) {
    let decoded: string;
    try {
      decoded = atob(match[1]!);
    } catch {
      return false;
    }
    const colon = decoded.indexOf(":");
    user = colon === -1 ? decoded : decoded.slice(0, colon);
    password = colon === -1 ? "" : decoded.slice(colon + 1);
  }
  const verdict = server.state.checkPassword(user, password);
  return verdict === undefined || verdict;
}
