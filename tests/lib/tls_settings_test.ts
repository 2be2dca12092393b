import assert from "node:assert/strict";
import { Config, findConfigParameter } from "../../lib/config.ts";
import { checkTlsSettings, TLS_PARAMETERS } from "../../lib/tls_settings.ts";

function configWith(settings: Record<string, string>): Config {
  const config = new Config();
  for (const [name, value] of Object.entries(settings)) {
    assert.equal(config.set(name, value, { startup: true }), undefined, name);
  }
  return config;
}

const SERVING = {
  "tls-port": "6380",
  "tls-cert-file": "server.crt",
  "tls-key-file": "server.key",
  "tls-auth-clients": "no",
};

Deno.test("TLS_PARAMETERS are config settings under Redis 7.0's names and defaults", () => {
  assert.equal(findConfigParameter("tls-port")?.default, "0");
  assert.equal(findConfigParameter("tls-auth-clients")?.default, "yes");
  assert.equal(findConfigParameter("tls-session-cache-size")?.default, "20480");
  assert.equal(findConfigParameter("tls-session-cache-timeout")?.default, "300");
  assert.ok(TLS_PARAMETERS.every((parameter) => findConfigParameter(parameter.name)));
});

Deno.test("checkTlsSettings: tls-port 0 (the default) needs nothing", () => {
  assert.deepEqual(checkTlsSettings(new Config()), {});
});

Deno.test("checkTlsSettings returns the listener's port and files", () => {
  assert.deepEqual(checkTlsSettings(configWith(SERVING)), {
    settings: { port: 6380, certFile: "server.crt", keyFile: "server.key" },
  });
  // Redis's default protocol set, in any order, is what rustls speaks.
  const both = configWith({ ...SERVING, "tls-protocols": "TLSv1.3 TLSv1.2" });
  assert.ok("settings" in checkTlsSettings(both));
});

Deno.test("checkTlsSettings refuses client-certificate authentication", () => {
  const { "tls-auth-clients": _, ...byDefault } = SERVING;
  for (
    const config of [
      configWith(byDefault),
      configWith({ ...SERVING, "tls-auth-clients": "optional" }),
    ]
  ) {
    const result = checkTlsSettings(config);
    assert.ok("error" in result);
    assert.match(
      result.error,
      /cannot request or verify client certificates\. Set tls-auth-clients no/,
    );
  }
});

Deno.test("checkTlsSettings refuses protocols, ciphers and links it cannot honour", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ "tls-protocols": "TLSv1.3" }, /^tls-protocols "TLSv1.3" is not supported/],
    [{ "tls-protocols": "TLSv1.1 TLSv1.2 TLSv1.3" }, /^tls-protocols .* is not supported/],
    [{ "tls-ciphers": "HIGH:!aNULL" }, /^tls-ciphers is not supported/],
    [{ "tls-ciphersuites": "TLS_AES_256_GCM_SHA384" }, /^tls-ciphersuites is not supported/],
    [{ "tls-prefer-server-ciphers": "yes" }, /^tls-prefer-server-ciphers is not supported/],
    [{ "tls-replication": "yes" }, /^tls-replication is not supported: Kache has no replication/],
    [{ "tls-session-caching": "no" }, /^tls-session-caching is not supported/],
    [{ "tls-session-cache-size": "10" }, /^tls-session-cache-size is not supported/],
    [{ "tls-key-file-pass": "secret" }, /^tls-key-file-pass is not supported/],
  ];
  for (const [settings, message] of cases) {
    const result = checkTlsSettings(configWith({ ...SERVING, ...settings }));
    assert.ok("error" in result, JSON.stringify(settings));
    assert.match(result.error, message);
    // Refused even while tls-port is 0: a config naming them is not silently half applied.
    const off = checkTlsSettings(configWith(settings));
    assert.ok("error" in off, JSON.stringify(settings));
  }
});

Deno.test("checkTlsSettings needs a certificate and a key for tls-port", () => {
  const { "tls-key-file": _, ...withoutKey } = SERVING;
  assert.deepEqual(checkTlsSettings(configWith(withoutKey)), {
    error: "tls-port needs tls-cert-file and tls-key-file",
  });
});
