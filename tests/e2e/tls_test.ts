/**
 * RESP over TLS on tls-port: redis-cli --tls and ioredis with a CA talk to
 * Kache as to a TLS-enabled redis-server, plain TCP keeps working beside it,
 * a client speaking plain RESP to the TLS port is dropped without harm, and
 * the settings Deno's TLS cannot honour stop the server at startup.
 *
 * Certificates are made by openssl in a temporary directory per test run.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { requireTool } from "../support/redis_process.ts";
import { freePort, type RunningServer, startServer } from "../support/server_process.ts";

interface Certificates {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A second CA that signed nothing the server presents. */
  readonly otherCa: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const command = new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" });
  const { code, stderr } = await command.output().catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error("The TLS tests need openssl: sudo apt-get install openssl");
  });
  if (code !== 0) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

/** A CA, and a server certificate it signed for localhost and 127.0.0.1. */
async function makeCertificates(): Promise<Certificates> {
  const dir = await Deno.makeTempDir({ prefix: "kache-tls-" });
  const selfSigned = (name: string) => [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
  ];
  await openssl(selfSigned("ca"), dir);
  await openssl(selfSigned("other-ca"), dir);
  await openssl(
    ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"]
      .concat(["-keyout", "server.key", "-out", "server.csr"]),
    dir,
  );
  await Deno.writeTextFile(`${dir}/san.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await openssl(
    ["x509", "-req", "-days", "1", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key"]
      .concat(["-CAcreateserial", "-extfile", "san.cnf", "-out", "server.crt"]),
    dir,
  );
  return {
    dir,
    ca: `${dir}/ca.crt`,
    serverCert: `${dir}/server.crt`,
    serverKey: `${dir}/server.key`,
    otherCa: `${dir}/other-ca.crt`,
  };
}

function tlsFlags(certs: Certificates, tlsPort: number): string[] {
  return [
    "--tls-port",
    String(tlsPort),
    "--tls-cert-file",
    certs.serverCert,
    "--tls-key-file",
    certs.serverKey,
    "--tls-ca-cert-file",
    certs.ca,
    "--tls-auth-clients",
    "no",
  ];
}

/** Runs `body` against a server with TLS on, removing the certificates and the server after. */
async function withTlsServer(
  body: (server: RunningServer, tlsPort: number, certs: Certificates) => Promise<void>,
): Promise<void> {
  const certs = await makeCertificates();
  try {
    const tlsPort = freePort();
    const server = await startServer(tlsFlags(certs, tlsPort));
    try {
      await body(server, tlsPort, certs);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(certs.dir, { recursive: true });
  }
}

async function redisCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  await requireTool("redis-cli");
  const { code, stdout, stderr } = await new Deno.Command("redis-cli", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("tls-port serves redis-cli --tls with the CA, beside plain TCP on port", async () => {
  await withTlsServer(async (server, tlsPort, certs) => {
    const overTls = ["--tls", "--cacert", certs.ca, "-h", "127.0.0.1", "-p", String(tlsPort)];
    assert.equal((await redisCli([...overTls, "ping"])).stdout, "PONG\n");
    assert.equal((await redisCli([...overTls, "set", "greeting", "über"])).stdout, "OK\n");
    // Verified by host name too: the certificate names localhost.
    const byName = ["--tls", "--cacert", certs.ca, "-h", "localhost", "-p", String(tlsPort)];
    assert.equal((await redisCli([...byName, "get", "greeting"])).stdout, "über\n");
    // The same keyspace over plain TCP.
    const plain = await redisCli([
      "-h",
      "127.0.0.1",
      "-p",
      String(server.respPort),
      "get",
      "greeting",
    ]);
    assert.equal(plain.stdout, "über\n");
    assert.match(server.output(), new RegExp(`RESP over TLS on port ${tlsPort}`));
    // The connection is a normal client: CLIENT LIST shows its TLS port as laddr.
    const list = await redisCli([...overTls, "client", "list"]);
    assert.match(list.stdout, new RegExp(`laddr=127\\.0\\.0\\.1:${tlsPort} `));
  });
});

Deno.test("tls-port's certificate is refused by a client trusting another CA", async () => {
  await withTlsServer(async (_server, tlsPort, certs) => {
    const run = await redisCli(
      ["--tls", "--cacert", certs.otherCa, "-h", "127.0.0.1", "-p", String(tlsPort), "ping"],
    );
    assert.doesNotMatch(run.stdout, /PONG/);
    assert.match(run.stdout + run.stderr, /SSL|certificate|verify/i);
  });
});

Deno.test("tls-port serves ioredis with tls: { ca }, pipelines and MULTI included", async () => {
  await withTlsServer(async (_server, tlsPort, certs) => {
    const client = new Redis({
      host: "127.0.0.1",
      port: tlsPort,
      tls: { ca: await Deno.readTextFile(certs.ca), servername: "localhost" },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await client.connect();
      assert.equal(await client.ping(), "PONG");
      const big = "x".repeat(200_000);
      assert.equal(await client.set("big", big), "OK");
      assert.equal(await client.get("big"), big);
      const pipeline = client.pipeline();
      for (let i = 0; i < 100; i++) pipeline.incr("counter");
      const results = await pipeline.exec();
      assert.deepEqual(results?.at(-1), [null, 100]);
      assert.deepEqual(await client.multi().set("a", "1").get("a").exec(), [[null, "OK"], [
        null,
        "1",
      ]]);
    } finally {
      client.disconnect();
    }
  });
});

Deno.test("tls-port drops a client speaking plain RESP, and keeps serving others", async () => {
  await withTlsServer(async (server, tlsPort, certs) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: tlsPort });
    await conn.write(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n"));
    // Whatever comes back (a TLS alert, or nothing), it is never a RESP reply, and the server
    // closes: reads end within a bounded number of attempts.
    const received: number[] = [];
    const buffer = new Uint8Array(1024);
    for (let reads = 0; reads < 100; reads++) {
      const count = await conn.read(buffer).catch(() => null);
      if (count === null) break;
      received.push(...buffer.subarray(0, count));
    }
    conn.close();
    assert.ok(!new TextDecoder().decode(new Uint8Array(received)).includes("PONG"));
    const overTls = ["--tls", "--cacert", certs.ca, "-h", "127.0.0.1", "-p", String(tlsPort)];
    assert.equal((await redisCli([...overTls, "ping"])).stdout, "PONG\n");
    assert.equal(
      (await redisCli(["-h", "127.0.0.1", "-p", String(server.respPort), "ping"])).stdout,
      "PONG\n",
    );
  });
});

/** Starts a server expected to refuse to start; returns what it printed. */
async function startupRefusal(flags: string[]): Promise<string> {
  const failure = await startServer(flags).then(
    async (server) => {
      await server.stop();
      return undefined;
    },
    (error: Error) => error.message,
  );
  assert.ok(failure !== undefined, `server started with ${flags.join(" ")}`);
  return failure;
}

Deno.test("tls-port refuses at startup what Deno's TLS cannot honour, naming it", async () => {
  const certs = await makeCertificates();
  try {
    const base = tlsFlags(certs, freePort());
    // Redis's default tls-auth-clients is yes: Kache cannot request client certificates.
    const withoutAuthClients = base.slice(0, -2);
    assert.match(
      await startupRefusal(withoutAuthClients),
      /tls-auth-clients yes is not supported: Deno.listenTls cannot request or verify client certificates/,
    );
    assert.match(
      await startupRefusal([...base, "--tls-auth-clients", "optional"]),
      /tls-auth-clients optional is not supported/,
    );
    assert.match(
      await startupRefusal([...base, "--tls-protocols", "TLSv1.3"]),
      /tls-protocols "TLSv1.3" is not supported/,
    );
    assert.match(
      await startupRefusal([...base, "--tls-ciphers", "HIGH"]),
      /tls-ciphers is not supported/,
    );
    assert.match(
      await startupRefusal([...base, "--tls-cert-file", `${certs.dir}/missing.crt`]),
      /Cannot read tls-cert-file .*missing\.crt/,
    );
    // A key where the certificate belongs.
    assert.match(
      await startupRefusal([...base, "--tls-cert-file", certs.serverKey]),
      /tls-cert-file .* holds no PEM CERTIFICATE/,
    );
    // A key that does not belong to the certificate.
    assert.match(
      await startupRefusal([...base, "--tls-key-file", `${certs.dir}/other-ca.key`]),
      /check tls-cert-file and tls-key-file/,
    );
    // Redis's own default set is accepted.
    const server = await startServer([...base, "--tls-protocols", "TLSv1.3 TLSv1.2"]);
    await server.stop();
  } finally {
    await Deno.remove(certs.dir, { recursive: true });
  }
});

/** `kache client` (main.ts) with its flags, output decoded. */
async function kacheClient(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../main.ts", import.meta.url).pathname,
      "client",
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("kache client --tls --cacert and rediss:// talk to tls-port; another CA is refused", async () => {
  await withTlsServer(async (_server, tlsPort, certs) => {
    const overTls = ["--tls", "--cacert", certs.ca, "-h", "localhost", "-p", String(tlsPort)];
    assert.equal((await kacheClient([...overTls, "set", "greeting", "über"])).stdout, "OK\n");
    const uri = `rediss://127.0.0.1:${tlsPort}`;
    const viaUri = await kacheClient(["-u", uri, "--cacert", certs.ca, "get", "greeting"]);
    assert.equal(viaUri.stdout, "über\n", viaUri.stderr);
    const untrusted = await kacheClient([
      "--tls",
      "--cacert",
      certs.otherCa,
      "-p",
      String(tlsPort),
      "ping",
    ]);
    assert.equal(untrusted.code, 1);
    assert.match(
      untrusted.stderr,
      /^Could not connect to Kache at 127\.0\.0\.1:\d+: .*certificate/i,
    );
  });
});
