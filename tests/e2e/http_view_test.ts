/**
 * The HTTP view (`--http-port`): Prometheus `/metrics` with the numbers INFO
 * shows, `/info.json`, requirepass as HTTP Basic authentication, and the live
 * page rendered by Debian's headless Chromium with the server's numbers in it.
 */
import assert from "node:assert/strict";
import { RawRespClient } from "../support/resp_client.ts";
import { freePort, startServer } from "../support/server_process.ts";

function encode(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("");
}

async function send(client: RawRespClient, ...argv: string[]): Promise<string> {
  await client.writeRaw(new TextEncoder().encode(encode(argv)));
  return (await client.readReply()).raw;
}

function sample(metrics: string, name: string): number | undefined {
  const line = metrics.split("\n").find((row) => row.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

Deno.test("HTTP /metrics shows INFO's numbers in Prometheus text; the port stays closed by default", async () => {
  const httpPort = freePort();
  const server = await startServer(["--http-port", String(httpPort)]);
  const client = await RawRespClient.connect(server.respPort);
  try {
    await send(client, "SET", "a", "1");
    await send(client, "GET", "a");
    await send(client, "GET", "nope");
    await send(client, "SET", "t", "1", "EX", "100");
    await send(client, "INCR", "nope:list");
    await send(client, "LPUSH", "a", "x");
    const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const metrics = await response.text();
    assert.equal(sample(metrics, "kache_keyspace_hits"), 1);
    assert.equal(sample(metrics, "kache_keyspace_misses"), 1);
    assert.equal(sample(metrics, 'kache_commands_total{cmd="get"}'), 2);
    assert.equal(sample(metrics, 'kache_db_keys{db="db0"}'), 3);
    assert.equal(sample(metrics, 'kache_db_keys_expiring{db="db0"}'), 1);
    assert.equal(sample(metrics, 'kache_errors_total{err="WRONGTYPE"}'), 1);
    assert.equal(sample(metrics, "kache_connected_clients"), 1);
    assert.ok(sample(metrics, "kache_used_memory")! > 0);
    assert.ok(sample(metrics, "kache_total_net_input_bytes")! > 0);
    assert.ok(sample(metrics, 'kache_latency_percentiles_usec{cmd="set",quantile="50"}')! >= 0);
    assert.match(metrics, /^# TYPE kache_keyspace_hits counter$/m);
    assert.match(metrics, /^kache_instance_info\{redis_version="[^"]+",kache_version=/m);
    // Every line is a comment or `name{labels} value`.
    for (const line of metrics.trimEnd().split("\n")) {
      assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? (-?[\d.e+-]+|\+Inf))$/, line);
    }
    const json = await (await fetch(`http://127.0.0.1:${httpPort}/info.json`)).json();
    assert.equal(json.stats.keyspace_hits, "1");
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/nope`)).status, 404);
  } finally {
    client.close();
    await server.stop();
  }
  // Without --http-port nothing listens for HTTP.
  const plain = await startServer();
  try {
    assert.doesNotMatch(plain.output(), /HTTP view/);
  } finally {
    await plain.stop();
  }
});

Deno.test("HTTP view asks for requirepass through Basic authentication", async () => {
  const httpPort = freePort();
  const server = await startServer(["--http-port", String(httpPort), "--requirepass", "s3cret"]);
  try {
    const url = `http://127.0.0.1:${httpPort}/metrics`;
    const refused = await fetch(url);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate")!, /^Basic realm="kache"/);
    await refused.body?.cancel();
    const wrong = await fetch(url, { headers: { authorization: `Basic ${btoa("x:nope")}` } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const right = await fetch(url, { headers: { authorization: `Basic ${btoa("any:s3cret")}` } });
    assert.equal(right.status, 200);
    assert.match(await right.text(), /kache_connected_clients/);
  } finally {
    await server.stop();
  }
});

async function hasChromium(): Promise<boolean> {
  try {
    return (await new Deno.Command("chromium", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

const chromium = await hasChromium();

Deno.test({
  name: "The live page renders in headless Chromium with the server's numbers" +
    (chromium ? "" : " (skipped: chromium is not installed; apt-get install chromium)"),
  ignore: !chromium,
  async fn() {
    const httpPort = freePort();
    const server = await startServer(["--http-port", String(httpPort)]);
    const client = await RawRespClient.connect(server.respPort);
    const dir = await Deno.makeTempDir({ prefix: "kache-page-" });
    try {
      for (let i = 0; i < 1234; i++) await send(client, "SET", `key:${i}`, "v");
      const url = `http://127.0.0.1:${httpPort}/`;
      const common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        `--user-data-dir=${dir}/profile`,
        "--virtual-time-budget=5000",
      ];
      const dom = await new Deno.Command("chromium", {
        args: [...common, "--dump-dom", url],
        stdout: "piped",
        stderr: "null",
      }).output();
      const html = new TextDecoder().decode(dom.stdout);
      // The script ran, fetched /info.json and filled the cards.
      assert.match(html, /id="v-keys">1234</);
      assert.match(html, /id="v-clients">1</);
      assert.match(html, /Kache \d+\.\d+\.\d+ \(Redis [\d.]+ compatible\)/);
      const screenshot = `${dir}/page.png`;
      const shot = await new Deno.Command("chromium", {
        args: [...common, `--screenshot=${screenshot}`, "--window-size=1000,560", url],
        stdout: "null",
        stderr: "null",
      }).output();
      assert.ok(shot.success);
      const png = Deno.readFileSync(screenshot);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
      assert.ok(png.length > 5_000, "more than a blank page");
    } finally {
      client.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
