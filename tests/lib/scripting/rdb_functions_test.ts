import { deepStrictEqual, match, throws } from "node:assert/strict";
import { readRdb } from "../../../lib/persistence/rdb_reader.ts";
import { RdbWriter } from "../../../lib/persistence/rdb_writer.ts";
import { concatBytes } from "../../../lib/bytes.ts";

function fileWith(codes: readonly string[], compression: boolean): Uint8Array {
  const writer = new RdbWriter({ compression });
  writer.header();
  for (const code of codes) writer.writeFunction(code);
  writer.selectDb(0, 1, 0);
  writer.writeEntry("k", "v");
  writer.finish();
  return concatBytes(writer.takeChunks());
}

const LIBRARY = "#!lua name=lib\nredis.register_function('f', function() return 1 end)\n" +
  "-- padding so the code is long enough to be compressed ".repeat(3);

Deno.test("RdbWriter.writeFunction round-trips through RdbReader's onFunction, compressed or not", () => {
  for (const compression of [false, true]) {
    const codes: string[] = [];
    const keys: string[] = [];
    readRdb(fileWith([LIBRARY, "#!lua name=two\n"], compression), (entry) => keys.push(entry.key), {
      onFunction: (code) => {
        codes.push(code);
        return undefined;
      },
    });
    deepStrictEqual(codes, [LIBRARY, "#!lua name=two\n"]);
    deepStrictEqual(keys, ["k"]);
  }
});

Deno.test("RdbReader fails at the function's offset when onFunction refuses it", () => {
  throws(
    () => readRdb(fileWith([LIBRARY], false), () => {}, { onFunction: () => "bad library" }),
    (error: Error) => {
      match(error.message, /Cannot load a function library: bad library/);
      return true;
    },
  );
});
