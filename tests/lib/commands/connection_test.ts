import assert from "node:assert/strict";
import {
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  map,
  NIL,
  OK,
  PONG,
  type Reply,
  status,
  verbatim,
} from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

const WRONGPASS = error("WRONGPASS invalid username-password pair or user is disabled.");

function helloReply(protocol: number, id: number): Reply {
  return map([
    [bulk("server"), bulk("redis")],
    [bulk("version"), bulk("7.0.15")],
    [bulk("proto"), integer(protocol)],
    [bulk("id"), integer(id)],
    [bulk("mode"), bulk("standalone")],
    [bulk("role"), bulk("master")],
    [bulk("modules"), EMPTY_ARRAY],
  ]);
}

/** The text of a verbatim or bulk reply. */
function text(reply: Reply): string {
  if (reply.kind === "verbatim" || reply.kind === "bulk") return reply.value;
  throw new Error(`Expected text, got ${JSON.stringify(reply)}`);
}

/** CLIENT LIST lines as field maps. */
function clients(reply: Reply): Map<string, string>[] {
  return text(reply).split("\n").filter(Boolean).map((line) =>
    new Map(
      line.split(" ").map((field) => {
        const equals = field.indexOf("=");
        return [field.slice(0, equals), field.slice(equals + 1)] as [string, string];
      }),
    )
  );
}

Deno.test("PING answers PONG, or echoes its argument", () => {
  const h = createHarness();
  assert.deepEqual(h.run("PING"), PONG);
  assert.deepEqual(h.run("ping", "hi"), bulk("hi"));
  assert.deepEqual(
    h.run("ping", "a", "b"),
    error("ERR wrong number of arguments for 'ping' command"),
  );
});

Deno.test("ECHO returns its argument byte for byte", () => {
  const h = createHarness();
  assert.deepEqual(h.run("ECHO", "\x00\xff"), bulk("\x00\xff"));
  assert.deepEqual(h.run("ECHO"), error("ERR wrong number of arguments for 'echo' command"));
});

Deno.test("HELLO without a version reports the handshake map and keeps RESP2", () => {
  const h = createHarness();
  assert.deepEqual(h.run("HELLO"), helloReply(2, 1));
  assert.equal(h.session.protocol, 2);
});

Deno.test("HELLO 3 switches the session to RESP3 and HELLO 2 back", () => {
  const h = createHarness();
  assert.deepEqual(h.run("HELLO", "3"), helloReply(3, 1));
  assert.equal(h.session.protocol, 3);
  assert.deepEqual(h.run("hello", "2"), helloReply(2, 1));
  assert.equal(h.session.protocol, 2);
});

Deno.test("HELLO refuses unknown protocol versions with Redis's errors", () => {
  const h = createHarness();
  for (const version of ["1", "4", "0", "-1"]) {
    assert.deepEqual(h.run("HELLO", version), error("NOPROTO unsupported protocol version"));
  }
  assert.deepEqual(
    h.run("HELLO", "abc"),
    error("ERR Protocol version is not an integer or out of range"),
  );
  assert.equal(h.session.protocol, 2);
});

Deno.test("HELLO SETNAME names the connection; the last SETNAME wins", () => {
  const h = createHarness();
  h.run("HELLO", "3", "SETNAME", "a", "setname", "b");
  assert.equal(h.session.name, "b");
  assert.deepEqual(
    h.run("HELLO", "2", "SETNAME", "a b"),
    error("ERR Client names cannot contain spaces, newlines or special characters."),
  );
  assert.equal(h.session.protocol, 3);
});

Deno.test("HELLO rejects an unknown or incomplete option naming it", () => {
  const h = createHarness();
  assert.deepEqual(h.run("HELLO", "3", "foo"), error("ERR Syntax error in HELLO option 'foo'"));
  assert.deepEqual(
    h.run("HELLO", "3", "SETNAME"),
    error("ERR Syntax error in HELLO option 'SETNAME'"),
  );
  assert.deepEqual(
    h.run("HELLO", "3", "AUTH", "x"),
    error("ERR Syntax error in HELLO option 'AUTH'"),
  );
  assert.deepEqual(
    h.run("HELLO", "3", "SETNAME", "a", "b"),
    error("ERR Syntax error in HELLO option 'b'"),
  );
});

Deno.test("HELLO needs authentication first unless it carries AUTH", () => {
  const h = createHarness();
  h.run("CONFIG", "SET", "requirepass", "pw");
  const other = h.newSession();
  other.session.authenticated = false;
  assert.deepEqual(
    other.run("HELLO", "3"),
    error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select " +
        "the RESP protocol version at the same time",
    ),
  );
  assert.deepEqual(other.run("HELLO", "3", "AUTH", "default", "bad"), WRONGPASS);
  assert.equal(other.session.protocol, 2);
  assert.deepEqual(other.run("HELLO", "3", "AUTH", "default", "pw"), helloReply(3, 2));
  assert.equal(other.session.authenticated, true);
});

Deno.test("AUTH with only a password errors when no password is configured", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("AUTH", "secret"),
    error(
      "ERR AUTH <password> called without any password configured for the default user. " +
        "Are you sure your configuration is correct?",
    ),
  );
});

Deno.test("AUTH default accepts any password when none is configured, other users never", () => {
  const h = createHarness();
  assert.deepEqual(h.run("AUTH", "default", "anything"), OK);
  assert.deepEqual(h.run("AUTH", "bob", "anything"), WRONGPASS);
  assert.deepEqual(h.run("AUTH", "a", "b", "c"), error("ERR syntax error"));
});

Deno.test("AUTH with the configured password unlocks a connection", () => {
  const h = createHarness();
  h.run("CONFIG", "SET", "requirepass", "pw");
  const other = h.newSession();
  other.session.authenticated = false;
  assert.deepEqual(other.run("PING"), error("NOAUTH Authentication required."));
  assert.deepEqual(other.run("AUTH", "bad"), WRONGPASS);
  assert.deepEqual(other.run("AUTH", "bob", "pw"), WRONGPASS);
  assert.deepEqual(other.run("AUTH", "pw"), OK);
  assert.deepEqual(other.run("PING"), PONG);
  other.session.authenticated = false;
  assert.deepEqual(other.run("AUTH", "default", "pw"), OK);
  assert.equal(other.session.authenticated, true);
});

Deno.test("QUIT answers OK and asks for the connection to close", () => {
  const h = createHarness();
  assert.deepEqual(h.run("QUIT"), OK);
  assert.equal(h.session.closeRequested, true);
});

Deno.test("RESET leaves MULTI, drops WATCHes, name and RESP3, and answers RESET", () => {
  const h = createHarness();
  h.run("HELLO", "3", "SETNAME", "me");
  h.run("WATCH", "k");
  h.run("MULTI");
  assert.deepEqual(h.run("RESET"), status("RESET"));
  assert.equal(h.session.protocol, 2);
  assert.equal(h.session.name, "");
  assert.equal(h.session.queued, undefined);
  assert.equal(h.session.watched.size, 0);
  assert.equal(h.server.watches.keyCount, 0);
  assert.deepEqual(h.run("EXEC"), error("ERR EXEC without MULTI"));
});

Deno.test("RESET requires authentication again when a password is set", () => {
  const h = createHarness();
  h.run("CONFIG", "SET", "requirepass", "pw");
  assert.deepEqual(h.run("RESET"), status("RESET"));
  assert.deepEqual(h.run("PING"), error("NOAUTH Authentication required."));
  assert.deepEqual(h.run("RESET"), status("RESET"));
  assert.deepEqual(h.run("AUTH", "pw"), OK);
  assert.deepEqual(h.run("PING"), PONG);
});

Deno.test("SELECT switches databases and refuses others with Redis's texts", () => {
  const h = createHarness();
  assert.deepEqual(h.run("SET", "k", "zero"), OK);
  assert.deepEqual(h.run("SELECT", "15"), OK);
  assert.equal(h.session.db, 15);
  assert.deepEqual(h.run("GET", "k"), NIL);
  assert.deepEqual(h.run("SELECT", "0"), OK);
  assert.deepEqual(h.run("GET", "k"), bulk("zero"));
  assert.deepEqual(h.run("SELECT", "16"), error("ERR DB index is out of range"));
  assert.deepEqual(h.run("SELECT", "-1"), error("ERR DB index is out of range"));
  assert.deepEqual(h.run("SELECT", "abc"), error("ERR value is not an integer or out of range"));
  assert.deepEqual(h.run("SELECT", "-0"), error("ERR value is not an integer or out of range"));
  // Redis reads a long, then checks the C int range, with its own text (redis-server 7.0.15).
  assert.deepEqual(
    h.run("SELECT", "4294967296"),
    error("ERR value is out of range, value must between -2147483648 and 2147483647"),
  );
  assert.equal(h.session.db, 0);
});

Deno.test("RESET selects database 0 again, and CLIENT LIST shows the database", () => {
  const h = createHarness();
  h.run("SELECT", "7");
  assert.match(text(h.run("CLIENT", "LIST")), / db=7 /);
  assert.deepEqual(h.run("RESET"), status("RESET"));
  assert.equal(h.session.db, 0);
  assert.match(text(h.run("CLIENT", "LIST")), / db=0 /);
});

Deno.test("SELECT on the binary protocol is refused: its sessions use database 0", () => {
  const h = createHarness();
  const binary = h.newSession({ wire: "kache" });
  assert.deepEqual(
    binary.run("SELECT", "1"),
    error("ERR SELECT is not supported on the binary protocol, which always uses database 0"),
  );
  assert.equal(binary.session.db, 0);
});

Deno.test("CLIENT ID returns the session's id", () => {
  const h = createHarness();
  const other = h.newSession();
  assert.deepEqual(h.run("CLIENT", "ID"), integer(1));
  assert.deepEqual(other.run("client", "id"), integer(2));
  assert.deepEqual(
    h.run("CLIENT", "ID", "x"),
    error("ERR wrong number of arguments for 'client|id' command"),
  );
});

Deno.test("CLIENT SETNAME and GETNAME set, read and clear the name", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CLIENT", "GETNAME"), NIL);
  assert.deepEqual(h.run("CLIENT", "SETNAME", "worker-1"), OK);
  assert.deepEqual(h.run("CLIENT", "GETNAME"), bulk("worker-1"));
  assert.deepEqual(h.run("CLIENT", "SETNAME", ""), OK);
  assert.deepEqual(h.run("CLIENT", "GETNAME"), NIL);
});

Deno.test("CLIENT SETNAME refuses spaces, control and non-ASCII bytes", () => {
  const h = createHarness();
  for (const name of ["a b", "a\n", "\x7f", "caf\xe9"]) {
    assert.deepEqual(
      h.run("CLIENT", "SETNAME", name),
      error("ERR Client names cannot contain spaces, newlines or special characters."),
    );
  }
  assert.deepEqual(
    h.run("CLIENT", "SETNAME"),
    error("ERR wrong number of arguments for 'client|setname' command"),
  );
});

Deno.test("CLIENT INFO describes the caller in Redis's CLIENT LIST line format", () => {
  const h = createHarness(1_700_000_000_000);
  h.run("CLIENT", "SETNAME", "me");
  h.setNow(1_700_000_005_000);
  assert.deepEqual(
    h.run("CLIENT", "INFO"),
    verbatim(
      "id=1 addr=127.0.0.1:50001 laddr=127.0.0.1:6379 name=me age=5 idle=0 flags=N db=0 " +
        "sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=10 multi-mem=0 " +
        "omem=0 tot-mem=10 events=r cmd=client|info user=default redir=-1 resp=2 " +
        "lib-name= lib-ver=\n",
    ),
  );
});

Deno.test("CLIENT LIST shows argv-mem for the caller's running command and multi-mem for queued ones", () => {
  const h = createHarness();
  const other = h.newSession();
  other.run("MULTI");
  other.run("SET", "key", "value");
  const rows = clients(h.run("CLIENT", "LIST"));
  // CLIENT LIST: 6 + 4 bytes; the other session holds no command but its queued SET.
  assert.equal(rows[0]!.get("argv-mem"), "10");
  assert.equal(rows[0]!.get("multi-mem"), "0");
  assert.equal(rows[1]!.get("argv-mem"), "0");
  assert.equal(rows[1]!.get("multi-mem"), String("SET".length + "key".length + "value".length));
  assert.equal(rows[1]!.get("multi"), "1");
  assert.equal(rows[0]!.has("fd"), false, "no fd: Deno does not expose it");
});

Deno.test("CLIENT LIST lists every session with its idle time and last command", () => {
  const h = createHarness(1_700_000_000_000);
  const other = h.newSession();
  other.run("ECHO", "x");
  h.setNow(1_700_000_003_000);
  const rows = clients(h.run("CLIENT", "LIST"));
  assert.deepEqual(rows.map((row) => row.get("id")), ["1", "2"]);
  assert.equal(rows[1]!.get("cmd"), "echo");
  assert.equal(rows[1]!.get("idle"), "3");
  assert.equal(rows[0]!.get("cmd"), "client|list");
  assert.equal(rows[0]!.get("idle"), "0");
});

Deno.test("CLIENT LIST shows MULTI state, queued count and a touched WATCH", () => {
  const h = createHarness();
  const other = h.newSession();
  other.run("WATCH", "k");
  h.run("SET", "k", "v");
  other.run("MULTI");
  other.run("PING");
  const row = clients(h.run("CLIENT", "LIST", "ID", "2"))[0]!;
  assert.equal(row.get("flags"), "xd");
  assert.equal(row.get("multi"), "1");
});

Deno.test("CLIENT LIST TYPE filters by client type", () => {
  const h = createHarness();
  h.newSession();
  assert.equal(clients(h.run("CLIENT", "LIST", "TYPE", "normal")).length, 2);
  assert.deepEqual(h.run("CLIENT", "LIST", "TYPE", "master"), verbatim(""));
  assert.deepEqual(h.run("CLIENT", "LIST", "TYPE", "pubsub"), verbatim(""));
  assert.deepEqual(h.run("CLIENT", "LIST", "TYPE", "foo"), error("ERR Unknown client type 'foo'"));
  assert.deepEqual(h.run("CLIENT", "LIST", "TYPE"), error("ERR syntax error"));
});

Deno.test("CLIENT LIST ID lists the given ids in order, skipping unknown ones", () => {
  const h = createHarness();
  h.newSession();
  h.newSession();
  const rows = clients(h.run("CLIENT", "LIST", "ID", "3", "99", "1"));
  assert.deepEqual(rows.map((row) => row.get("id")), ["3", "1"]);
  assert.deepEqual(h.run("CLIENT", "LIST", "ID", "1", "x"), error("ERR Invalid client ID"));
  assert.deepEqual(h.run("CLIENT", "LIST", "ID"), error("ERR syntax error"));
  assert.deepEqual(h.run("CLIENT", "LIST", "foo"), error("ERR syntax error"));
});

Deno.test("CLIENT SETINFO records the library name and version", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CLIENT", "SETINFO", "LIB-NAME", "ioredis"), OK);
  assert.deepEqual(h.run("CLIENT", "SETINFO", "lib-ver", "5.9.2"), OK);
  const row = clients(h.run("CLIENT", "INFO"))[0]!;
  assert.equal(row.get("lib-name"), "ioredis");
  assert.equal(row.get("lib-ver"), "5.9.2");
  assert.deepEqual(h.run("CLIENT", "SETINFO", "foo", "x"), error("ERR Unrecognized option 'foo'"));
  assert.deepEqual(
    h.run("CLIENT", "SETINFO", "lib-name", "a b"),
    error("ERR lib-name cannot contain spaces, newlines or special characters."),
  );
});

Deno.test("CLIENT KILL ID closes another client and counts it", () => {
  const h = createHarness();
  const other = h.newSession();
  other.run("WATCH", "k");
  assert.deepEqual(h.run("CLIENT", "KILL", "ID", "2"), integer(1));
  assert.equal(other.session.closeRequested, true);
  assert.deepEqual([...h.server.sessions()].map((session) => session.id), [1]);
  assert.equal(h.server.watches.keyCount, 0);
  assert.deepEqual(h.run("CLIENT", "KILL", "ID", "2"), integer(0));
});

Deno.test("CLIENT KILL skips the caller unless SKIPME no", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CLIENT", "KILL", "ID", "1"), integer(0));
  assert.equal(h.session.closeRequested, false);
  assert.deepEqual(h.run("CLIENT", "KILL", "ID", "1", "SKIPME", "no"), integer(1));
  assert.equal(h.session.closeRequested, true);
});

Deno.test("CLIENT KILL filters combine: ADDR, LADDR, TYPE, USER", () => {
  const h = createHarness();
  const second = h.newSession();
  const third = h.newSession();
  assert.deepEqual(
    h.run("CLIENT", "KILL", "ADDR", "127.0.0.1:50002", "TYPE", "normal"),
    integer(1),
  );
  assert.equal(second.session.closeRequested, true);
  assert.deepEqual(h.run("CLIENT", "KILL", "LADDR", "10.0.0.1:6379"), integer(0));
  assert.deepEqual(h.run("CLIENT", "KILL", "TYPE", "master"), integer(0));
  assert.deepEqual(
    h.run("CLIENT", "KILL", "USER", "default", "LADDR", "127.0.0.1:6379"),
    integer(1),
  );
  assert.equal(third.session.closeRequested, true);
  assert.equal(h.session.closeRequested, false);
});

Deno.test("CLIENT KILL ip:port is the old form: OK, or No such client", () => {
  const h = createHarness();
  const other = h.newSession();
  assert.deepEqual(h.run("CLIENT", "KILL", "127.0.0.1:50002"), OK);
  assert.equal(other.session.closeRequested, true);
  assert.deepEqual(h.run("CLIENT", "KILL", "1.2.3.4:5"), error("ERR No such client"));
  assert.deepEqual(h.run("CLIENT", "KILL", "ID"), error("ERR No such client"));
  // The old form may kill the caller itself.
  assert.deepEqual(h.run("CLIENT", "KILL", "127.0.0.1:50001"), OK);
  assert.equal(h.session.closeRequested, true);
});

Deno.test("CLIENT KILL reports bad filters with Redis's errors", () => {
  const h = createHarness();
  const cases: [string[], string][] = [
    [["ID", "abc"], "ERR client-id should be greater than 0"],
    [["ID", "0"], "ERR client-id should be greater than 0"],
    [["TYPE", "foo"], "ERR Unknown client type 'foo'"],
    [["USER", "bob"], "ERR No such user 'bob'"],
    [["foo", "bar"], "ERR syntax error"],
    [["ID", "1", "SKIPME", "maybe"], "ERR syntax error"],
    [["ID", "1", "TYPE"], "ERR syntax error"],
  ];
  for (const [options, message] of cases) {
    assert.deepEqual(h.run("CLIENT", "KILL", ...options), error(message), options.join(" "));
  }
  assert.deepEqual(
    h.run("CLIENT", "KILL"),
    error("ERR wrong number of arguments for 'client|kill' command"),
  );
});

Deno.test("CLIENT NO-EVICT accepts on and off only", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CLIENT", "NO-EVICT", "on"), OK);
  assert.deepEqual(h.run("CLIENT", "NO-EVICT", "OFF"), OK);
  assert.deepEqual(h.run("CLIENT", "NO-EVICT", "maybe"), error("ERR syntax error"));
});

Deno.test("CLIENT HELP lists the subcommands; unknown subcommands point to it", () => {
  const h = createHarness();
  const reply = h.run("client", "help");
  assert.equal(reply.kind, "array");
  const lines = reply.kind === "array" ? reply.items : [];
  assert.deepEqual(
    lines[0],
    status("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
  );
  assert.deepEqual(lines.slice(-2), [status("HELP"), status("    Prints this help.")]);
  assert.deepEqual(h.run("CLIENT", "foo"), error("ERR unknown subcommand 'foo'. Try CLIENT HELP."));
  assert.deepEqual(
    h.run("CLIENT"),
    error("ERR wrong number of arguments for 'client' command"),
  );
});

Deno.test("HELLO, AUTH, QUIT and RESET run before authentication; CLIENT does not", () => {
  const h = createHarness();
  h.run("CONFIG", "SET", "requirepass", "pw");
  const other = h.newSession();
  other.session.authenticated = false;
  assert.deepEqual(other.run("CLIENT", "ID"), error("NOAUTH Authentication required."));
  assert.deepEqual(other.run("RESET"), status("RESET"));
  assert.deepEqual(other.run("QUIT"), OK);
});
