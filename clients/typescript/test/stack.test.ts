// Against the local stack: tests/integration/test_typescript_client.py starts it and runs
// `npm test` with HS_API_URL (the gateway) and HS_TEST_TENANT (a tenant of this run's own).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";

import { ApiError, HybridSessionsClient, type Message, type Session } from "../src/index.js";

const baseUrl = process.env.HS_API_URL;
const tenant = process.env.HS_TEST_TENANT ?? `ts-${randomUUID().slice(0, 8)}`;
const skip = baseUrl ? false : "HS_API_URL is not set: run through pytest (make test)";

function as(user: string): HybridSessionsClient {
  return new HybridSessionsClient({ baseUrl: baseUrl ?? "", token: `dev:${tenant}:${user}` });
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("against the local stack", { skip }, () => {
  test("chat starts a session, continues it, and its history reads back in order", async () => {
    const client = as("ann");
    const first = await client.chat({ message: "I am planning a trip to Lisbon in May." });
    assert.equal(first.session_created, true);
    assert.match(first.reply.content, /\[local model\]/);
    const second = await client.chat({ message: "What should I pack?", session_id: first.session_id });
    assert.equal(second.session_id, first.session_id);
    assert.equal(second.session_created, false);

    const history: Message[] = await all(client.iterMessages(first.session_id, { page_size: 1 }));
    assert.deepEqual(
      history.map((m) => [m.seq, m.role]),
      [[0, "user"], [1, "assistant"], [2, "user"], [3, "assistant"]],
    );
    assert.equal(history[0]?.content, "I am planning a trip to Lisbon in May.");
  });

  test("chatStream: the session, the text as it arrives, then the stored turn", async () => {
    const client = as("bea");
    const names: string[] = [];
    let text = "";
    let session = "";
    let done: string | undefined;
    for await (const event of client.chatStream({ message: "Tell me about Porto." })) {
      names.push(event.event);
      if (event.event === "session") session = event.data.session_id;
      if (event.event === "delta") text += event.data.text;
      if (event.event === "done") done = event.data.reply.content;
    }
    assert.equal(names[0], "session");
    assert.equal(names.at(-1), "done");
    assert.ok(names.includes("delta"));
    assert.equal(text, done);
    const stored = await client.getSession(session);
    assert.equal(stored.message_count, 2);
  });

  test("paging: iterSessions walks every page; listSessions hands out a token", async () => {
    const client = as("cid");
    const created: Session[] = [];
    for (let i = 0; i < 5; i++) created.push(await client.createSession({ title: `trip ${i}` }));
    const page = await client.listSessions({ page_size: 2 });
    assert.equal(page.sessions.length, 2);
    assert.ok(page.next_page_token);
    const seen = await all(client.iterSessions({ page_size: 2 }));
    assert.deepEqual(
      seen.map((s) => s.session_id).sort(),
      created.map((s) => s.session_id).sort(),
    );
  });

  test("sessions: rename, archive, append, delete; errors carry their code", async () => {
    const client = as("dan");
    const session = await client.createSession({ title: "draft", metadata: { app: "ts" } });
    const appended = await client.appendMessages(session.session_id, [
      { role: "user", content: "from my own model" },
      { role: "assistant", content: "indeed" },
    ]);
    assert.deepEqual(appended.messages.map((m) => m.seq), [0, 1]);
    const renamed = await client.updateSession(session.session_id, { title: "final", status: "archived" });
    assert.equal(renamed.title, "final");
    assert.equal(renamed.status, "archived");
    await assert.rejects(
      client.appendMessages(session.session_id, [{ role: "user", content: "late" }]),
      { status: 409, code: "session_archived" },
    );
    const archived = await client.listSessions({ status: "archived" });
    assert.deepEqual(archived.sessions.map((s) => s.session_id), [session.session_id]);

    await client.deleteSession(session.session_id);
    await assert.rejects(client.getSession(session.session_id), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 404);
      assert.equal(error.code, "session_not_found");
      return true;
    });
  });

  test("another user sees none of it", async () => {
    const owner = as("eve");
    const turn = await owner.chat({ message: "my secret plan" });
    const other = as("fay");
    await assert.rejects(other.getSession(turn.session_id), { status: 404 });
    assert.deepEqual((await other.listSessions()).sessions, []);
    const found = await other.search({ query: "secret plan" });
    assert.deepEqual(found.results, []);
  });

  test("search, similar, analytics and status answer in their documented shapes", async () => {
    const client = as("gus");
    const turn = await client.chat({ message: "Booking flights to Madeira" });
    const found = await client.search({ query: "flights", limit: 5 });
    assert.equal(typeof found.degraded, "boolean");
    for (const hit of found.results) assert.equal(hit.session_id, turn.session_id);
    const similar = await client.similarSessions(turn.session_id, { limit: 3 });
    assert.ok(Array.isArray(similar.sessions));
    const stats = await client.analytics({ granularity: "day" });
    assert.equal(typeof stats.totals.messages, "number");
    assert.ok(Array.isArray(stats.series));
    const status = await client.status();
    assert.ok(status.features.chat, "status lists chat");
  });

  test("eraseMe deletes every session of the caller", async () => {
    const client = as("hal");
    await client.chat({ message: "forget me" });
    await client.createSession();
    const erased = await client.eraseMe();
    assert.equal(erased.sessions_deleted, 2);
    assert.deepEqual((await client.listSessions()).sessions, []);
  });
});
