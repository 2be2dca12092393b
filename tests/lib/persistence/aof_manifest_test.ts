import assert from "node:assert/strict";
import {
  baseName,
  formatAofManifest,
  incrName,
  manifestName,
  parseAofManifest,
} from "../../../lib/persistence/aof_manifest.ts";

Deno.test("AOF file names follow Redis 7's layout", () => {
  assert.equal(manifestName("appendonly.aof"), "appendonly.aof.manifest");
  assert.equal(baseName("appendonly.aof", 2), "appendonly.aof.2.base.rdb");
  assert.equal(incrName("appendonly.aof", 3), "appendonly.aof.3.incr.aof");
});

Deno.test("parseAofManifest reads what redis-server writes, comments and history included", () => {
  const manifest = parseAofManifest(
    "# written by redis\nfile appendonly.aof.2.base.rdb seq 2 type b\n" +
      "file appendonly.aof.1.incr.aof seq 1 type h\n" +
      "file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n",
  );
  assert.deepEqual(manifest.base, { name: "appendonly.aof.2.base.rdb", seq: 2, type: "b" });
  assert.deepEqual(manifest.incr.map((file) => file.seq), [2, 3]);
  assert.deepEqual(manifest.history.map((file) => file.name), ["appendonly.aof.1.incr.aof"]);
});

Deno.test("formatAofManifest round-trips, quoting names with spaces", () => {
  const manifest = {
    base: { name: "my file.1.base.rdb", seq: 1, type: "b" as const },
    incr: [{ name: 'a"b.1.incr.aof', seq: 1, type: "i" as const }],
    history: [],
  };
  const text = formatAofManifest(manifest);
  assert.equal(
    text,
    'file "my file.1.base.rdb" seq 1 type b\nfile "a\\"b.1.incr.aof" seq 1 type i\n',
  );
  assert.deepEqual(parseAofManifest(text), manifest);
});

Deno.test("parseAofManifest refuses malformed manifests, naming the line", () => {
  assert.throws(() => parseAofManifest("file a seq 1\n"), /line 1 .*file, seq and type/);
  assert.throws(() => parseAofManifest("file a seq 1 type x\n"), /unknown type/);
  assert.throws(
    () => parseAofManifest("file a seq 1 type b\nfile b seq 2 type b\n"),
    /line 2 .*second base/,
  );
  assert.throws(
    () => parseAofManifest("file a seq 2 type i\nfile b seq 1 type i\n"),
    /out of order/,
  );
  assert.throws(() => parseAofManifest("file ../x seq 1 type i\n"), /not a plain name/);
  assert.throws(() => parseAofManifest('file "open seq 1 type i\n'), /Invalid line 1/);
});
