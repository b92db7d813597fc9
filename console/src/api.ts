// The console's only way to the product: the public API (infra/api/openapi.yaml).
//
// This module has the shape of the TypeScript client of clients/typescript (issue 17): one
// class, one method per operation, errors as ApiError with the API's machine-readable code.
// When that client is on main, this file becomes a re-export of it and nothing else changes.

export type SessionStatus = "active" | "archived";
export type Role = "user" | "assistant" | "system" | "tool";
export type Granularity = "hour" | "day" | "week";
export type Scope = "user" | "tenant";

export interface Session {
  session_id: string;
  user_id: string;
  title: string | null;
  status: SessionStatus;
  metadata: Record<string, unknown>;
  message_count: number;
  created_at: string;
  updated_at: string;
}

export interface Message {
  message_id: string;
  session_id: string;
  seq: number;
  role: Role;
  content: string;
  created_at: string;
  metadata: Record<string, unknown>;
  model?: string | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  latency_ms?: number | null;
}

export interface SessionPage {
  sessions: Session[];
  next_page_token?: string | null;
}

export interface MessagePage {
  messages: Message[];
  next_page_token?: string | null;
}

export interface ChatResponse {
  session_id: string;
  session_created?: boolean;
  message: Message;
  reply: Message;
  usage: { model: string; input_tokens: number; output_tokens: number; latency_ms: number };
}

export interface SearchResult {
  message_id: string;
  session_id: string;
  role: Role;
  content: string;
  snippet?: string;
  created_at: string;
  score: number;
}

export interface SearchResponse {
  results: SearchResult[];
  degraded: boolean;
  reason?: string | null;
  next_page_token?: string | null;
}

export interface SimilarSession {
  session_id: string;
  title: string | null;
  score: number;
  sample?: string | null;
}

export interface SimilarSessions {
  sessions: SimilarSession[];
  degraded?: boolean;
}

export interface SeriesPoint {
  period: string;
  messages?: number;
  sessions?: number;
  users?: number;
  [field: string]: number | string | undefined;
}

export interface ModelUsage {
  model: string;
  replies: number;
  input_tokens?: number;
  output_tokens?: number;
  latency_ms_p50?: number | null;
  latency_ms_p95?: number | null;
}

export interface Analytics {
  scope?: Scope;
  since?: string;
  until?: string;
  granularity?: Granularity;
  totals: {
    messages: number;
    sessions: number;
    users: number;
    messages_per_session?: number;
    input_tokens?: number;
    output_tokens?: number;
  };
  series: SeriesPoint[];
  by_model?: ModelUsage[];
  roles?: Record<string, number>;
  top_topics?: { phrase: string; sessions: number; mentions?: number }[];
}

export interface FeatureState {
  state: "live" | "degraded" | "off";
  reason?: string | null;
}

export interface Status {
  features: Record<string, FeatureState>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ClientOptions {
  /** Origin of the API, "" for the console's own origin (the local gateway). */
  baseUrl: string;
  /** The bearer credential of each request: an ID token, or `dev:<tenant>:<user>` locally. */
  token: () => Promise<string> | string;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined | null>;

export class HybridSessionsClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  chat(body: { message: string; session_id?: string | null }): Promise<ChatResponse> {
    return this.request("POST", "/v1/chat", { body });
  }

  listSessions(
    query: { page_size?: number; page_token?: string | null; status?: SessionStatus } = {},
  ): Promise<SessionPage> {
    return this.request("GET", "/v1/sessions", { query });
  }

  getSession(sessionId: string): Promise<Session> {
    return this.request("GET", `/v1/sessions/${encodeURIComponent(sessionId)}`);
  }

  updateSession(
    sessionId: string,
    body: { title?: string | null; status?: SessionStatus },
  ): Promise<Session> {
    return this.request("PATCH", `/v1/sessions/${encodeURIComponent(sessionId)}`, { body });
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.request("DELETE", `/v1/sessions/${encodeURIComponent(sessionId)}`);
  }

  listMessages(
    sessionId: string,
    query: { page_size?: number; page_token?: string | null; order?: "asc" | "desc" } = {},
  ): Promise<MessagePage> {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/messages`;
    return this.request("GET", path, { query });
  }

  search(body: {
    query: string;
    session_id?: string | null;
    limit?: number;
    page_token?: string | null;
  }): Promise<SearchResponse> {
    return this.request("POST", "/v1/search", { body });
  }

  similar(sessionId: string, query: { limit?: number } = {}): Promise<SimilarSessions> {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/similar`;
    return this.request("GET", path, { query });
  }

  analytics(
    query: { since?: string; until?: string; granularity?: Granularity; scope?: Scope } = {},
  ): Promise<Analytics> {
    return this.request("GET", "/v1/analytics", { query });
  }

  status(): Promise<Status> {
    return this.request("GET", "/v1/status");
  }

  private async request<T>(
    method: string,
    path: string,
    { query, body }: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
    }
    const url = this.baseUrl + path + (params.size ? `?${params}` : "");
    const headers: Record<string, string> = {
      Accept: "application/json",
      Authorization: `Bearer ${await this.options.token()}`,
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, "network_error", `the API cannot be reached (${String(err)})`);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
      const retry = response.headers.get("Retry-After");
      throw new ApiError(
        response.status,
        error?.code ?? "http_error",
        error?.message ?? `${method} ${path} answered ${response.status}`,
        retry ? Number(retry) : null,
      );
    }
    return parsed as T;
  }
}
