// The hand-written layer without a server: SSE decoding, retries, auth, paging, errors.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, HybridSessionsClient, SseDecoder, isCompatible, parseSse } from "../src/index.js";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

type Handler = (request: Request) => Response | Promise<Response>;

function clientWith(handler: Handler, sent: Request[] = []): HybridSessionsClient {
  return new HybridSessionsClient({
    baseUrl: "http://api.test/",
    token: "dev:alice",
    backoffMs: 0,
    fetch: async (input) => {
      const request = input as Request;
      sent.push(request.clone());
      return handler(request);
    },
  });
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
const error = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: code } }, headers);

test("SSE: data lines join, comments are skipped, events split across chunks", async () => {
  const events = [];
  for await (const event of parseSse(
    streamOf(": ping\nevent: delta\ndata: {\"te", 'xt": "a"}\r\n\r\ndata: x\n', "\n", "data: last"),
  )) {
    events.push(event);
  }
  assert.deepEqual(events, [
    { event: "delta", data: '{"text": "a"}' },
    { event: "message", data: "x" },
    { event: "message", data: "last" },
  ]);
  const decoder = new SseDecoder();
  assert.equal(decoder.feed("data: one"), undefined);
  assert.deepEqual(decoder.feed(""), { event: "message", data: "one" });
});

test("chat retries transient errors with one Idempotency-Key and the bearer token", async () => {
  const answers = [error(503, "unavailable"), error(502, "llm_unavailable")];
  const sent: Request[] = [];
  const client = clientWith(
    () => answers.shift() ?? json(201, { session_id: "s1", reply: { content: "hi" } }),
    sent,
  );
  const turn = await client.chat({ message: "hello" });
  assert.equal(turn.session_id, "s1");
  assert.equal(sent.length, 3);
  assert.equal(new Set(sent.map((r) => r.headers.get("Idempotency-Key"))).size, 1);
  assert.equal(sent[0]?.headers.get("Authorization"), "Bearer dev:alice");
  assert.deepEqual(await sent[0]?.json(), { message: "hello" });
});

test("session creation is never retried; client errors carry their code", async () => {
  const sent: Request[] = [];
  const client = clientWith(() => error(503, "unavailable"), sent);
  await assert.rejects(client.createSession({ title: "t" }), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, "unavailable");
    return true;
  });
  assert.equal(sent.length, 1);
  const missing = clientWith(() => error(404, "session_not_found"));
  await assert.rejects(missing.getSession("nope"), { status: 404, code: "session_not_found" });
});

test("a Retry-After longer than the client would wait is raised at once", async () => {
  const sent: Request[] = [];
  const client = clientWith(() => error(503, "analytics_unavailable", { "Retry-After": "60" }), sent);
  await assert.rejects(client.analytics(), { retryAfter: 60 });
  assert.equal(sent.length, 1);
});

test("a token function is asked per request; ids stay one path segment", async () => {
  const tokens = ["one", "two"];
  const sent: Request[] = [];
  const client = new HybridSessionsClient({
    baseUrl: "http://api.test",
    token: async () => tokens.shift() ?? "",
    fetch: async (input) => {
      sent.push(input as Request);
      return json(200, { messages: [] });
    },
  });
  await client.listMessages("a/b?c");
  await client.listMessages("x", { order: "desc", page_size: 5 });
  assert.deepEqual(
    sent.map((r) => r.headers.get("Authorization")),
    ["Bearer one", "Bearer two"],
  );
  assert.equal(new URL(sent[0]?.url ?? "").pathname, "/v1/sessions/a%2Fb%3Fc/messages");
  assert.equal(new URL(sent[1]?.url ?? "").search, "?order=desc&page_size=5");
});

test("iterMessages follows page tokens to the end", async () => {
  const pages: Record<string, unknown> = {
    "": { messages: [{ seq: 0 }, { seq: 1 }], next_page_token: "p2" },
    p2: { messages: [{ seq: 2 }], next_page_token: null },
  };
  const client = clientWith((r) => json(200, pages[new URL(r.url).searchParams.get("page_token") ?? ""]));
  const seqs = [];
  for await (const message of client.iterMessages("s1")) seqs.push(message.seq);
  assert.deepEqual(seqs, [0, 1, 2]);
});

test("chatStream yields typed events", async () => {
  const body =
    'event: session\ndata: {"session_id": "s9", "created": true}\n\n' +
    'event: delta\ndata: {"text": "Hel"}\n\nevent: delta\ndata: {"text": "lo"}\n\n' +
    'event: done\ndata: {"session_id": "s9", "reply": {"content": "Hello"}}\n\n';
  const client = clientWith(
    (r) => {
      assert.equal(r.headers.get("Accept"), "text/event-stream");
      return new Response(streamOf(body), { headers: { "Content-Type": "text/event-stream" } });
    },
  );
  let text = "";
  const names = [];
  for await (const event of client.chatStream({ message: "hi" })) {
    names.push(event.event);
    if (event.event === "delta") text += event.data.text;
  }
  assert.deepEqual(names, ["session", "delta", "delta", "done"]);
  assert.equal(text, "Hello");
});

test("the compatibility rule", () => {
  assert.equal(isCompatible("1.4.0", "1.0.0"), true);
  assert.equal(isCompatible("1.0.0", "1.2.0"), false);
  assert.equal(isCompatible("2.0.0", "1.0.0"), false);
});
