import assert from "node:assert/strict";
import { Databases } from "../../lib/databases.ts";
import { ActiveExpiry } from "../../server/active_expiry.ts";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("ActiveExpiry removes a key soon after its deadline", async () => {
  const databases = new Databases(16);
  const keyspace = databases.at(0);
  keyspace.now = Date.now();
  keyspace.set("k", "v");
  keyspace.setExpiry("k", Date.now() + 20);
  const expiry = new ActiveExpiry(databases, 2000);
  try {
    expiry.reschedule();
    await wait(120);
    assert.equal(keyspace.size, 0);
  } finally {
    expiry.stop();
  }
});

Deno.test("ActiveExpiry sleeps through a deadline beyond setTimeout's 24.8-day range", async () => {
  const databases = new Databases(16);
  const keyspace = databases.at(0);
  keyspace.now = Date.now();
  keyspace.set("k", "v");
  keyspace.setExpiry("k", Date.now() + 30 * 24 * 3600 * 1000);
  const expiry = new ActiveExpiry(databases, 2000);
  try {
    expiry.reschedule();
    await wait(50);
    assert.equal(expiry.sweeps, 0, "the timer fired for a deadline 30 days away");
    assert.equal(keyspace.size, 1);
  } finally {
    expiry.stop();
  }
});

Deno.test("ActiveExpiry removes a mass expiry in batches without losing keys", async () => {
  const databases = new Databases(16);
  const keyspace = databases.at(0);
  keyspace.now = Date.now();
  for (let i = 0; i < 10_000; i++) {
    keyspace.set(`k${i}`, "v");
    keyspace.setExpiry(`k${i}`, Date.now() + 10);
  }
  const expiry = new ActiveExpiry(databases, 1000);
  try {
    expiry.reschedule();
    for (let attempt = 0; attempt < 100 && keyspace.size > 0; attempt++) await wait(10);
    assert.equal(keyspace.size, 0);
    assert.ok(expiry.sweeps >= 10, `one sweep per batch of 1000, got ${expiry.sweeps}`);
  } finally {
    expiry.stop();
  }
});

Deno.test("ActiveExpiry sweeps every database, not only database 0", async () => {
  const databases = new Databases(16);
  databases.shared.now = Date.now();
  databases.at(0).set("forever", "v");
  for (const db of [3, 15]) {
    databases.at(db).set("k", "v");
    databases.at(db).setExpiry("k", Date.now() + 20);
  }
  const expiry = new ActiveExpiry(databases, 2000);
  try {
    expiry.reschedule();
    for (let attempt = 0; attempt < 100 && databases.size > 1; attempt++) await wait(10);
    assert.equal(databases.at(3).size, 0);
    assert.equal(databases.at(15).size, 0);
    assert.equal(databases.at(0).size, 1);
    assert.equal(databases.shared.expiredCount, 2);
  } finally {
    expiry.stop();
  }
});
