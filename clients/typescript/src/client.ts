/**
 * HybridSessionsClient: one method per route of the public API, over `fetch` (browsers and
 * Node 20+). Request and answer types come from `schema.ts`, generated from
 * infra/api/openapi.yaml; this file adds only auth, retries, paging and streamed chat.
 *
 * Transient failures (429, 502, 503, 504, network errors) are retried with backoff only where a
 * retry cannot write twice: reads, PATCH and DELETE, search, and chat and appends, which carry an
 * Idempotency-Key generated once per call. Session creation is never retried.
 */

import type { components, operations } from "./schema.js";
import { type ServerSentEvent, parseSse } from "./sse.js";

export type Schemas = components["schemas"];
export type Session = Schemas["Session"];
export type Message = Schemas["Message"];
export type ChatRequest = Schemas["ChatRequest"];
export type ChatResponse = Schemas["ChatResponse"];
export type SessionPage = Schemas["SessionPage"];
export type MessagePage = Schemas["MessagePage"];
export type MessageIn = Schemas["MessageIn"];
export type SearchRequest = Schemas["SearchRequest"];
export type SearchResponse = Schemas["SearchResponse"];
export type SimilarSessions = Schemas["SimilarSessions"];
export type Analytics = Schemas["Analytics"];
export type Status = Schemas["Status"];
export type ErasureResult = Schemas["ErasureResult"];
export type CreateSessionRequest = Schemas["CreateSessionRequest"];
export type UpdateSessionRequest = Schemas["UpdateSessionRequest"];

type Query<Operation extends keyof operations> = NonNullable<
  operations[Operation]["parameters"]["query"]
>;
export type ListSessionsQuery = Query<"listSessions">;
export type ListMessagesQuery = Query<"listMessages">;
export type SimilarQuery = Query<"similarSessions">;
export type AnalyticsQuery = Query<"analytics">;

/** A bearer credential, or a function giving a fresh one per request (ID tokens expire). */
export type Token = string | (() => string | Promise<string>);

export interface ClientOptions {
  /** The API's origin, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** A Firebase ID token, an API key (`hsk_...`), or locally `dev:<tenant>:<user>`. */
  token: Token;
  /** Retries of a transient failure where repeating is safe (default 3). */
  retries?: number;
  /** First backoff in milliseconds, doubled each retry (default 500). */
  backoffMs?: number;
  /** Per-request timeout in milliseconds (default 120 000: an LLM turn takes a while). */
  timeoutMs?: number;
  /** A fetch of your own (tests, instrumentation); the global one by default. */
  fetch?: typeof fetch;
}

/** Per call: an AbortSignal, and the Idempotency-Key of calls that take one. */
export interface CallOptions {
  signal?: AbortSignal;
  idempotencyKey?: string;
}

/** The events of a streamed chat, in order: `session`, `delta`..., then `done` or `error`. */
export type ChatStreamEvent =
  | { event: "session"; data: { session_id: string; created: boolean } }
  | { event: "delta"; data: { text: string } }
  | { event: "done"; data: ChatResponse }
  | { event: "error"; data: Schemas["Error"] };

/** An error answer of the API: HTTP `status`, machine-readable `code`, human `message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, from `Retry-After`, when the server sent it. */
    readonly retryAfter: number | null = null,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "ApiError";
  }

  static async from(response: Response): Promise<ApiError> {
    const text = await response.text();
    let code = "unknown";
    let message = text.slice(0, 200);
    try {
      const body = JSON.parse(text) as Partial<Schemas["Error"]>;
      if (body.error) ({ code, message } = body.error);
    } catch {
      // not JSON: keep the text
    }
    const retryAfter = response.headers.get("Retry-After");
    return new ApiError(
      response.status,
      code,
      message,
      retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null,
    );
  }
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const IDEMPOTENT_METHODS = new Set(["GET", "PATCH", "DELETE"]);

interface Call {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | null | undefined> | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  /** Repeating it cannot write twice, though its method alone does not say so. */
  retrySafe?: boolean;
  signal?: AbortSignal | undefined;
}

export class HybridSessionsClient {
  readonly baseUrl: string;
  private readonly token: Token;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new Error("baseUrl is empty");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  // --- chat ------------------------------------------------------------------------------
  /** One turn; without `session_id` a session is created (`session_created`). */
  chat(request: Omit<ChatRequest, "stream">, options: CallOptions = {}): Promise<ChatResponse> {
    return this.send({
      method: "POST",
      path: "/v1/chat",
      body: request,
      headers: { "Idempotency-Key": options.idempotencyKey ?? newKey() },
      retrySafe: true,
      signal: options.signal,
    });
  }

  /** The reply as it is written. Not retried: a stream that broke is resumed with `chat`. */
  async *chatStream(
    request: Omit<ChatRequest, "stream">,
    options: CallOptions = {},
  ): AsyncGenerator<ChatStreamEvent> {
    const response = await this.respond({
      method: "POST",
      path: "/v1/chat",
      body: { ...request, stream: true },
      headers: {
        Accept: "text/event-stream",
        "Idempotency-Key": options.idempotencyKey ?? newKey(),
      },
      signal: options.signal,
    });
    if (!response.body) throw new ApiError(response.status, "empty_stream", "no body");
    for await (const event of parseSse(response.body)) yield decodeEvent(event);
  }

  // --- sessions --------------------------------------------------------------------------
  createSession(request: CreateSessionRequest = {}, options: CallOptions = {}): Promise<Session> {
    return this.send({ method: "POST", path: "/v1/sessions", body: request, signal: options.signal });
  }

  getSession(sessionId: string, options: CallOptions = {}): Promise<Session> {
    return this.send({ method: "GET", path: sessionPath(sessionId), signal: options.signal });
  }

  /** One page, newest first; `next_page_token` is absent or null on the last. */
  listSessions(query: ListSessionsQuery = {}, options: CallOptions = {}): Promise<SessionPage> {
    return this.send({ method: "GET", path: "/v1/sessions", query, signal: options.signal });
  }

  /** Every session, page after page. */
  iterSessions(query: Omit<ListSessionsQuery, "page_token"> = {}): AsyncGenerator<Session> {
    return pages((page_token) => this.listSessions({ ...query, page_token }), (p) => p.sessions);
  }

  /** Changes what is given; `metadata` replaces the whole object, `title: null` clears it. */
  updateSession(
    sessionId: string,
    request: UpdateSessionRequest,
    options: CallOptions = {},
  ): Promise<Session> {
    return this.send({
      method: "PATCH",
      path: sessionPath(sessionId),
      body: request,
      signal: options.signal,
    });
  }

  /** The session, its messages and (through the ingest) every copy of them. */
  async deleteSession(sessionId: string, options: CallOptions = {}): Promise<void> {
    await this.send({ method: "DELETE", path: sessionPath(sessionId), signal: options.signal });
  }

  listMessages(
    sessionId: string,
    query: ListMessagesQuery = {},
    options: CallOptions = {},
  ): Promise<MessagePage> {
    return this.send({
      method: "GET",
      path: sessionPath(sessionId, "messages"),
      query,
      signal: options.signal,
    });
  }

  /** Every message of a session, in order, page after page. */
  iterMessages(
    sessionId: string,
    query: Omit<ListMessagesQuery, "page_token"> = {},
  ): AsyncGenerator<Message> {
    return pages(
      (page_token) => this.listMessages(sessionId, { ...query, page_token }),
      (p) => p.messages,
    );
  }

  /** Stores messages without calling the model (apps that call their own). */
  appendMessages(
    sessionId: string,
    messages: MessageIn[],
    options: CallOptions = {},
  ): Promise<Schemas["MessageList"]> {
    return this.send({
      method: "POST",
      path: sessionPath(sessionId, "messages"),
      body: { messages },
      headers: { "Idempotency-Key": options.idempotencyKey ?? newKey() },
      retrySafe: true,
      signal: options.signal,
    });
  }

  /** Deletes every session and message of the caller, and every copy of them. */
  eraseMe(options: CallOptions = {}): Promise<ErasureResult> {
    return this.send({ method: "DELETE", path: "/v1/users/me", signal: options.signal });
  }

  // --- enhanced features -------------------------------------------------------------------
  /** By meaning over the caller's history; `degraded` when the keyword fallback answered. */
  search(request: SearchRequest, options: CallOptions = {}): Promise<SearchResponse> {
    return this.send({
      method: "POST",
      path: "/v1/search",
      body: request,
      retrySafe: true,
      signal: options.signal,
    });
  }

  similarSessions(
    sessionId: string,
    query: SimilarQuery = {},
    options: CallOptions = {},
  ): Promise<SimilarSessions> {
    return this.send({
      method: "GET",
      path: sessionPath(sessionId, "similar"),
      query,
      signal: options.signal,
    });
  }

  analytics(query: AnalyticsQuery = {}, options: CallOptions = {}): Promise<Analytics> {
    return this.send({ method: "GET", path: "/v1/analytics", query, signal: options.signal });
  }

  /** Which features are live, degraded or off, and why. */
  status(options: CallOptions = {}): Promise<Status> {
    return this.send({ method: "GET", path: "/v1/status", signal: options.signal });
  }

  // --- plumbing --------------------------------------------------------------------------
  private async send<T>(call: Call): Promise<T> {
    const response = await this.respond(call);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A successful response to `call`, retried where safe, or the ApiError it is. */
  private async respond(call: Call): Promise<Response> {
    const repeatable = call.retrySafe === true || IDEMPOTENT_METHODS.has(call.method);
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      try {
        const response = await this.fetch(await this.request(call));
        if (response.ok) return response;
        failure = await ApiError.from(response);
      } catch (error) {
        if (call.signal?.aborted) throw error; // the caller's own abort is never retried
        failure = error;
      }
      const wait = this.backoffMs * 2 ** attempt;
      const apiError = failure instanceof ApiError ? failure : null;
      const giveUp =
        !repeatable ||
        attempt >= this.retries ||
        (apiError !== null &&
          (!RETRYABLE_STATUS.has(apiError.status) ||
            (apiError.retryAfter !== null && apiError.retryAfter * 1000 > wait * 4)));
      if (giveUp) throw failure;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async request(call: Call): Promise<Request> {
    const token = typeof this.token === "function" ? await this.token() : this.token;
    const url = new URL(this.baseUrl + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    // No header of our own (no client-version header): in a browser each extra header must be
    // allowed by the API's CORS configuration.
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...call.headers };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    return new Request(url, {
      method: call.method,
      headers,
      body: call.body === undefined ? null : JSON.stringify(call.body),
      signal: call.signal ?? AbortSignal.timeout(this.timeoutMs),
    });
  }
}

/** An id is one path segment whatever it holds: "a/b" must not reach another route. */
function sessionPath(sessionId: string, ...rest: string[]): string {
  return ["/v1/sessions", encodeURIComponent(sessionId), ...rest].join("/");
}

function newKey(): string {
  return globalThis.crypto.randomUUID();
}

function decodeEvent(event: ServerSentEvent): ChatStreamEvent {
  return { event: event.event, data: JSON.parse(event.data) } as ChatStreamEvent;
}

async function* pages<P extends { next_page_token?: string | null }, I>(
  fetchPage: (token: string | undefined) => Promise<P>,
  items: (page: P) => I[],
): AsyncGenerator<I> {
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    yield* items(page);
    token = page.next_page_token ?? undefined;
  } while (token);
}
