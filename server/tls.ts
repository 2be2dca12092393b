/**
 * The RESP-over-TLS listener's certificate and key, read from the files the
 * `tls-*` settings name (lib/tls_settings.ts decides which values Kache can
 * honour). Read once at startup, as Redis does until CONFIG SET changes them.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { checkTlsSettings } from "../lib/tls_settings.ts";

/** What `Deno.listenTls` needs besides the address. */
export interface TlsListenOptions {
  readonly port: number;
  readonly cert: string;
  readonly key: string;
}

/**
 * The TLS listener's options, or undefined while tls-port is 0. Throws an
 * Error whose message tells the operator what to fix; `warn` gets the
 * settings that are valid but have no effect.
 */
export function tlsListenOptions(
  config: Config,
  warn: (text: string) => void,
): TlsListenOptions | undefined {
  const checked = checkTlsSettings(config);
  if ("error" in checked) throw new Error(checked.error);
  const settings = checked.settings;
  if (settings === undefined) return undefined;
  const cert = readPem(settings.certFile, "tls-cert-file", "CERTIFICATE");
  const key = readPem(settings.keyFile, "tls-key-file", "PRIVATE KEY");
  if (key.includes("ENCRYPTED")) {
    throw new Error(
      `tls-key-file ${settings.keyFile} is encrypted: Kache reads unencrypted keys only ` +
        `(decrypt it: openssl pkey -in ${settings.keyFile} -out plain.key)`,
    );
  }
  for (const setting of ["tls-ca-cert-file", "tls-ca-cert-dir"]) {
    const path = config.string(setting);
    if (path === "") continue;
    try {
      Deno.statSync(path);
    } catch (cause) {
      throw new Error(`Cannot read ${setting} ${path}: ${(cause as Error).message}`);
    }
    warn(
      `${setting} ${path} has no effect: Kache verifies no client certificates ` +
        `(tls-auth-clients no)`,
    );
  }
  return { port: settings.port, cert, key };
}

/** Deno.listenTls, with a bad certificate or key named as the setting to fix. */
export function listenTls(hostname: string, port: number, tls: TlsListenOptions): Deno.TlsListener {
  try {
    return Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key, transport: "tcp" });
  } catch (cause) {
    if (cause instanceof Deno.errors.AddrInUse || cause instanceof Deno.errors.PermissionDenied) {
      throw cause;
    }
    throw new Error(
      `TLS listener on ${hostname}:${port} (check tls-cert-file and tls-key-file): ` +
        (cause as Error).message,
    );
  }
}

function readPem(path: string, setting: string, label: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (cause) {
    throw new Error(`Cannot read ${setting} ${path}: ${(cause as Error).message}`);
  }
  if (!text.includes(`-----BEGIN `) || !text.includes(`${label}-----`)) {
    throw new Error(`${setting} ${path} holds no PEM ${label}`);
  }
  return text;
}
