import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  encodedCommandLength,
  handshakeCommands,
  parsePsyncReply,
  pingReplyAcceptable,
} from "../../../lib/replication/replica_handshake.ts";
import { encodeReply } from "../../../lib/protocol/resp.ts";
import { bulkArray } from "../../../lib/reply.ts";

Deno.test("handshakeCommands: AUTH with masteruser, ip-address only when announced", () => {
  deepStrictEqual(
    handshakeCommands({
      masterUser: "repl",
      masterAuth: "pw",
      listeningPort: 7,
      announceIp: "10.0.0.1",
    }),
    [
      ["AUTH", "repl", "pw"],
      ["REPLCONF", "listening-port", "7"],
      ["REPLCONF", "ip-address", "10.0.0.1"],
      ["REPLCONF", "capa", "eof", "capa", "psync2"],
    ],
  );
  deepStrictEqual(
    handshakeCommands({ masterUser: "repl", masterAuth: "", listeningPort: 7, announceIp: "" })[0],
    ["REPLCONF", "listening-port", "7"],
  );
});

Deno.test("parsePsyncReply reads +CONTINUE with a new id, and refuses a short FULLRESYNC id", () => {
  const id = "0".repeat(39) + "1";
  deepStrictEqual(parsePsyncReply(`+CONTINUE ${id}`), { kind: "continue", replid: id });
  deepStrictEqual(parsePsyncReply("+FULLRESYNC abc 5"), { kind: "full-malformed" });
  deepStrictEqual(parsePsyncReply("-NOMASTERLINK Can't SYNC while not connected with my master"), {
    kind: "try-later",
    text: "-NOMASTERLINK Can't SYNC while not connected with my master",
  });
  deepStrictEqual(parsePsyncReply("-ERR unknown command 'PSYNC'").kind, "not-supported");
});

Deno.test("pingReplyAcceptable: any status and authentication errors, not other errors", () => {
  strictEqual(pingReplyAcceptable("+PONG"), true);
  strictEqual(pingReplyAcceptable("-NOAUTH Authentication required."), true);
  strictEqual(pingReplyAcceptable("-ERR wrong"), false);
});

Deno.test("encodedCommandLength equals the RESP encoding's length, binary and empty arguments too", () => {
  const samples = [["SET", "k", ""], ["SELECT", "0"], ["x".repeat(1000)], [
    "HSET",
    "\u0000\u00ff",
    "f",
    "v\r\n",
  ]];
  for (const argv of samples) {
    strictEqual(encodedCommandLength(argv), encodeReply(bulkArray(argv), 2).length);
  }
});
