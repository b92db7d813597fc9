/**
 * TypeScript client of the hybrid-sessions API.
 *
 *     import { HybridSessionsClient } from "hybrid-sessions";
 *     const client = new HybridSessionsClient({ baseUrl: "http://127.0.0.1:8000", token: "dev:acme:ann" });
 *     const turn = await client.chat({ message: "Hello" });
 *     for await (const event of client.chatStream({ message: "More", session_id: turn.session_id })) ...
 */

export * from "./client.js";
export type { components, operations, paths } from "./schema.js";
export { type ServerSentEvent, SseDecoder, parseSse } from "./sse.js";
export { API_VERSION, CLIENT_VERSION, isCompatible } from "./version.js";
