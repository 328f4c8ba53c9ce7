// The official TypeScript client (`@arcadeai/arcadejs`) against the emulator: the same
// flows the `arcadepy` tests drive (crates/arcade-emulator/tests/python), plus the
// connection list with the real query names (`user_id`, `provider_id`) and delete.
//
//   node --test tests/clients/arcadejs.test.mjs
//
// Each test starts a real `arcade-emulator` process (target/debug/arcade-emulator, or
// EMULATOR_BIN) on a free loopback port and stops it afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Arcade, { PermissionDeniedError } from "@arcadeai/arcadejs";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const EMULATOR_BIN = process.env.EMULATOR_BIN ?? `${REPO}target/debug/arcade-emulator`;
const API_KEY = "arc_nodetest_key";
const READY = "arcade emulator listening on ";
const READ_SCOPE = "https://www.googleapis.com/auth/gmail.readonly";

/** Starts an emulator and waits (10 s at most) for its ready line. */
async function startEmulator() {
  const child = spawn(EMULATOR_BIN, ["--bind", "127.0.0.1:0"], {
    env: { ...process.env, ARCADE_API_KEY: API_KEY, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const lines = createInterface({ input: child.stdout });
  const timeout = AbortSignal.timeout(10_000);
  const [line] = await Promise.race([
    once(lines, "line", { signal: timeout }),
    once(child, "error").then(([error]) => {
      throw new Error(`cannot start ${EMULATOR_BIN} (build it with cargo build --workspace): ${error.message}`);
    }),
  ]);
  assert.ok(line.startsWith(READY), `emulator did not start: ${line}`);
  return { child, baseURL: line.slice(READY.length) };
}

/** A client on a fresh emulator, stopped when the test ends. */
async function client(t) {
  const { child, baseURL } = await startEmulator();
  t.after(async () => {
    child.kill("SIGTERM");
    await once(child, "exit");
  });
  return new Arcade({ apiKey: API_KEY, baseURL, maxRetries: 0 });
}

/** Does what the user's browser does on the authorization page. */
async function decide(url, decision = "approve") {
  const page = await fetch(url, { method: "POST", body: new URLSearchParams({ decision }) });
  return page.text();
}

/** Every item of every page (the client steps the offset by the items returned). */
async function all(pages) {
  const items = [];
  for await (const item of pages) items.push(item);
  return items;
}

test("list, get and execute Math", async (t) => {
  const arcade = await client(t);
  const names = (await all(arcade.tools.list({ toolkit: "Math" }))).map((tool) => tool.qualified_name);
  for (const name of ["Math.Add", "Math.Divide", "Math.SumList"]) assert.ok(names.includes(name), names.join());
  const add = await arcade.tools.get("Math.Add");
  assert.ok(add.fully_qualified_name.startsWith("Math.Add@"));
  assert.deepEqual(add.input.parameters.map((p) => p.name), ["a", "b"]);
  const result = await arcade.tools.execute({
    tool_name: "Math.Add",
    tool_version: add.toolkit.version,
    input: { a: 2, b: 40 },
    user_id: "js-user",
  });
  assert.equal(result.success, true);
  assert.equal(result.output.value, 42);
});

test("pagination follows offsets", async (t) => {
  const arcade = await client(t);
  const first = await arcade.tools.list({ limit: 4 });
  assert.equal(first.items.length, 4);
  assert.equal(first.total_count, 10);
  assert.equal((await all(arcade.tools.list({ limit: 4 }))).length, 10);
});

test("divide by zero is a tool error", async (t) => {
  const arcade = await client(t);
  const result = await arcade.tools.execute({ tool_name: "Math.Divide", input: { a: 1, b: 0 }, user_id: "js-user" });
  assert.equal(result.success, false);
  assert.equal(result.output.error.kind, "TOOL_RUNTIME_BAD_INPUT_VALUE");
  assert.ok(result.output.error.additional_prompt_content);
});

test("tool authorization flow", async (t) => {
  const arcade = await client(t);
  const execute = (user) => arcade.tools.execute({ tool_name: "Mail.ListEmails", input: { n_emails: 3 }, user_id: user });
  await assert.rejects(execute("js-alice"), PermissionDeniedError);

  const pending = await arcade.tools.authorize({ tool_name: "Mail.ListEmails", user_id: "js-alice" });
  assert.equal(pending.status, "pending");
  assert.ok(pending.url.endsWith(`/authorize/${pending.id}`), pending.url);
  const other = await arcade.tools.authorize({ tool_name: "Mail.ListEmails", user_id: "js-bob" });
  assert.notEqual(other.id, pending.id);

  // Approve while the client long-polls.
  setTimeout(() => decide(pending.url), 300);
  const started = Date.now();
  const done = await arcade.auth.waitForCompletion(pending);
  assert.ok(Date.now() - started < 10_000);
  assert.equal(done.status, "completed");

  const result = await execute("js-alice");
  assert.equal(result.success, true);
  assert.equal(result.output.value.emails.length, 3);
  await assert.rejects(execute("js-bob"), PermissionDeniedError);
});

test("status long-poll and deny", async (t) => {
  const arcade = await client(t);
  const pending = await arcade.tools.authorize({ tool_name: "CodeHost.CreateIssue", user_id: "js-carol" });
  assert.equal((await arcade.auth.status({ id: pending.id })).status, "pending");
  assert.match(await decide(pending.url, "deny"), /Access denied/);
  assert.equal((await arcade.auth.status({ id: pending.id, wait: 5 })).status, "failed");
});

test("auth.start returns a token", async (t) => {
  const arcade = await client(t);
  const started = await arcade.auth.start("js-dave", "google", { scopes: [READ_SCOPE] });
  assert.equal(started.status, "pending");
  assert.match(await decide(started.url), /Access granted/);
  const done = await arcade.auth.status({ id: started.id, wait: 5 });
  assert.equal(done.status, "completed");
  assert.ok(done.context.token.startsWith("tok_"));
  const again = await arcade.auth.start("js-dave", "google", { scopes: [READ_SCOPE] });
  assert.equal(again.status, "completed");
  assert.equal(again.context.token, done.context.token);
});

test("connections listed by user_id and provider_id across pages, and deleted", async (t) => {
  const arcade = await client(t);
  const grant = async (user, provider) => {
    const started = await arcade.auth.start(user, provider, { scopes: ["read"] });
    await decide(started.url);
    assert.equal((await arcade.auth.status({ id: started.id, wait: 5 })).status, "completed");
  };
  for (const provider of ["google", "github", "slack"]) await grant("js-erin", provider);
  await grant("js-frank", "google");

  // limit 1: three pages for js-erin, which the client walks by offset.
  const erins = await all(arcade.admin.userConnections.list({ user_id: "js-erin", limit: 1 }));
  assert.deepEqual(erins.map((c) => c.provider_id).sort(), ["github", "google", "slack"]);
  assert.ok(erins.every((c) => c.user_id === "js-erin" && c.id));
  const googles = await all(arcade.admin.userConnections.list({ provider_id: "google" }));
  assert.deepEqual(googles.map((c) => c.user_id).sort(), ["js-erin", "js-frank"]);
  const [erinGoogle] = await all(arcade.admin.userConnections.list({ user_id: "js-erin", provider_id: "google" }));
  assert.equal(erinGoogle.provider_id, "google");

  await arcade.admin.userConnections.delete(erinGoogle.id);
  const left = await all(arcade.admin.userConnections.list({ user_id: "js-erin" }));
  assert.deepEqual(left.map((c) => c.provider_id).sort(), ["github", "slack"]);
  assert.equal((await all(arcade.admin.userConnections.list({ user_id: "js-frank" }))).length, 1);
  const again = await arcade.auth.start("js-erin", "google", { scopes: ["read"] });
  assert.equal(again.status, "pending", "a deleted connection is a grant to give again");
});
