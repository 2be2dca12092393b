import assert from "node:assert/strict";
import { notifySystemd } from "../../server/supervisor.ts";

Deno.test("notifySystemd sends READY=1 as one datagram to NOTIFY_SOCKET", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-notify-test-" });
  const path = `${dir}/notify`;
  const systemd = Deno.listenDatagram({ transport: "unixpacket", path });
  try {
    const received = systemd.receive();
    assert.equal(await notifySystemd("READY=1", path), undefined);
    const [data] = await received;
    assert.equal(new TextDecoder().decode(data), "READY=1");
  } finally {
    systemd.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notifySystemd says why it cannot notify instead of failing", async () => {
  assert.match((await notifySystemd("READY=1", ""))!, /NOTIFY_SOCKET is not set/);
  assert.match((await notifySystemd("READY=1", "@/org/x"))!, /abstract socket/);
  assert.match(
    (await notifySystemd("READY=1", "/nonexistent/kache/notify"))!,
    /could not notify systemd at "\/nonexistent\/kache\/notify"/,
  );
});
