/**
 * Redis 7.0's `tls-*` settings, and which of their values Kache can honour.
 *
 * TLS is served by `Deno.listenTls` (rustls underneath). Its options are a
 * certificate chain, a key and ALPN names: it cannot ask clients for a
 * certificate, nor restrict protocol versions or ciphers. So every value that
 * would need one of those is refused at startup with a message saying why,
 * rather than accepted and silently not applied. What rustls does by itself
 * matches Redis's defaults where they meet: TLSv1.2 and TLSv1.3, the client's
 * cipher order.
 *
 * @module
 */
import type { Config, ConfigParameter } from "./config.ts";

const PORT = { kind: "integer", min: 0, max: 65535 } as const;
const NON_NEGATIVE = { kind: "integer", min: 0, max: Number.MAX_SAFE_INTEGER } as const;

/** The `tls-*` settings, under Redis's names and defaults; all are startup-only in Kache. */
export const TLS_PARAMETERS: readonly ConfigParameter[] = [
  {
    name: "tls-port",
    type: PORT,
    default: "0",
    mutable: false,
    description: "RESP over TLS port (0 disables it); needs tls-cert-file and tls-key-file",
  },
  {
    name: "tls-cert-file",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "PEM server certificate (chain) for tls-port",
  },
  {
    name: "tls-key-file",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "PEM private key of tls-cert-file (unencrypted)",
  },
  {
    name: "tls-key-file-pass",
    type: { kind: "string" },
    default: "",
    mutable: false,
    sensitive: true,
    description: "passphrase of an encrypted key: refused, Kache reads unencrypted keys only",
  },
  {
    name: "tls-ca-cert-file",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "CA bundle Redis verifies client certificates with; checked, not used by Kache",
  },
  {
    name: "tls-ca-cert-dir",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "CA directory Redis verifies client certificates with; checked, not used by Kache",
  },
  {
    name: "tls-auth-clients",
    type: { kind: "enum", values: ["yes", "no", "optional"] },
    default: "yes",
    mutable: false,
    description: "client certificates: Kache cannot verify them, so tls-port needs 'no'",
  },
  {
    name: "tls-protocols",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "TLS versions: Kache speaks TLSv1.2 and TLSv1.3, and only that set is accepted",
  },
  {
    name: "tls-ciphers",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "TLSv1.2 cipher list: refused when set, Kache uses rustls's defaults",
  },
  {
    name: "tls-ciphersuites",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "TLSv1.3 cipher suites: refused when set, Kache uses rustls's defaults",
  },
  {
    name: "tls-prefer-server-ciphers",
    type: { kind: "boolean" },
    default: "no",
    mutable: false,
    description: "refused when yes: Kache follows the client's cipher order",
  },
  {
    name: "tls-dh-params-file",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "DH parameters: refused when set, rustls has no DHE ciphers",
  },
  {
    name: "tls-client-cert-file",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description:
      "certificate Redis presents to masters and cluster peers; refused, Kache has neither",
  },
  {
    name: "tls-client-key-file",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: "key of tls-client-cert-file; refused, Kache has no replication or cluster",
  },
  {
    name: "tls-client-key-file-pass",
    type: { kind: "string" },
    default: "",
    mutable: false,
    sensitive: true,
    description: "passphrase of tls-client-key-file; refused, Kache has no replication or cluster",
  },
  {
    name: "tls-replication",
    type: { kind: "boolean" },
    default: "no",
    mutable: false,
    description: "TLS for replication links: refused when yes, Kache has no replication",
  },
  {
    name: "tls-cluster",
    type: { kind: "boolean" },
    default: "no",
    mutable: false,
    description: "TLS for the cluster bus: refused when yes, Kache has no cluster",
  },
  {
    name: "tls-session-caching",
    type: { kind: "boolean" },
    default: "yes",
    mutable: false,
    description: "TLS session resumption: refused when no, rustls always offers it",
  },
  {
    name: "tls-session-cache-size",
    type: NON_NEGATIVE,
    default: "20480",
    mutable: false,
    description: "sessions Redis caches: refused unless the default, rustls sizes its own cache",
  },
  {
    name: "tls-session-cache-timeout",
    type: NON_NEGATIVE,
    default: "300",
    mutable: false,
    description: "session lifetime in seconds: refused unless the default, rustls sets its own",
  },
];

/** What the TLS listener needs, resolved from the settings. */
export interface TlsListenerSettings {
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
}

/** The typed getters of {@link Config}, all this needs. */
export type SettingReader = Pick<Config, "string" | "number" | "boolean">;

const SUPPORTED_PROTOCOLS = ["TLSv1.2", "TLSv1.3"];

/** Non-default values no TLS listener of Deno's can honour, with the reason given to the operator. */
const UNSUPPORTED_WHEN_CHANGED: readonly { readonly name: string; readonly reason: string }[] = [
  {
    name: "tls-key-file-pass",
    reason: "Kache reads unencrypted keys only (decrypt it: openssl pkey -in key -out plain.key)",
  },
  { name: "tls-ciphers", reason: "Deno's TLS (rustls) cannot restrict ciphers" },
  { name: "tls-ciphersuites", reason: "Deno's TLS (rustls) cannot restrict cipher suites" },
  {
    name: "tls-prefer-server-ciphers",
    reason: "Deno's TLS (rustls) follows the client's cipher order",
  },
  { name: "tls-dh-params-file", reason: "rustls has no DHE ciphers, so it needs no DH parameters" },
  { name: "tls-client-cert-file", reason: "Kache has no replication or cluster links" },
  { name: "tls-client-key-file", reason: "Kache has no replication or cluster links" },
  { name: "tls-client-key-file-pass", reason: "Kache has no replication or cluster links" },
  { name: "tls-replication", reason: "Kache has no replication" },
  { name: "tls-cluster", reason: "Kache has no cluster" },
  { name: "tls-session-caching", reason: "rustls always offers session resumption" },
  { name: "tls-session-cache-size", reason: "rustls sizes its own session cache" },
  { name: "tls-session-cache-timeout", reason: "rustls sets its own session lifetime" },
];

/**
 * Checks the `tls-*` settings as a whole: returns the listener's settings
 * (undefined while tls-port is 0) or the startup error that explains what
 * cannot be honoured. File contents are read later, by the server.
 *
 * @example Client certificates cannot be required
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { Config } from "./config.ts";
 * import { checkTlsSettings } from "./tls_settings.ts";
 * const config = new Config();
 * config.set("tls-port", "6380", { startup: true });
 * config.set("tls-cert-file", "server.crt", { startup: true });
 * config.set("tls-key-file", "server.key", { startup: true });
 * deepStrictEqual("error" in checkTlsSettings(config), true);
 * config.set("tls-auth-clients", "no", { startup: true });
 * deepStrictEqual(checkTlsSettings(config), {
 *   settings: { port: 6380, certFile: "server.crt", keyFile: "server.key" },
 * });
 * ```
 */
export function checkTlsSettings(
  read: SettingReader,
): { settings?: TlsListenerSettings } | { error: string } {
  for (const { name, reason } of UNSUPPORTED_WHEN_CHANGED) {
    const parameter = TLS_PARAMETERS.find((p) => p.name === name)!;
    const kind = parameter.type.kind;
    const changed = kind === "boolean"
      ? read.boolean(name) !== (parameter.default === "yes")
      : kind === "integer"
      ? read.number(name) !== Number(parameter.default)
      : read.string(name) !== parameter.default;
    if (changed) {
      return { error: `${name} is not supported: ${reason}` };
    }
  }
  const protocols = read.string("tls-protocols").split(/\s+/).filter(Boolean);
  if (protocols.length > 0) {
    const unknown = protocols.find((p) => !SUPPORTED_PROTOCOLS.includes(p));
    const missing = SUPPORTED_PROTOCOLS.filter((p) => !protocols.includes(p));
    if (unknown !== undefined || missing.length > 0) {
      return {
        error: `tls-protocols "${protocols.join(" ")}" is not supported: Deno's TLS (rustls) ` +
          `always speaks TLSv1.2 and TLSv1.3 and nothing else; leave tls-protocols unset or ` +
          `set it to "TLSv1.2 TLSv1.3"`,
      };
    }
  }
  const port = read.number("tls-port");
  if (port === 0) return {};
  const authClients = read.string("tls-auth-clients");
  if (authClients !== "no") {
    return {
      error: `tls-auth-clients ${authClients} is not supported: Deno.listenTls cannot request ` +
        `or verify client certificates. Set tls-auth-clients no (TLS then encrypts and ` +
        `authenticates the server; authenticate clients with requirepass)`,
    };
  }
  const certFile = read.string("tls-cert-file");
  const keyFile = read.string("tls-key-file");
  if (certFile === "" || keyFile === "") {
    return { error: "tls-port needs tls-cert-file and tls-key-file" };
  }
  return { settings: { port, certFile, keyFile } };
}
