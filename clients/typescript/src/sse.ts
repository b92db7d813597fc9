/** Server-sent events (the WHATWG event-stream format) read from a fetch body, line by line. */

export interface ServerSentEvent {
  event: string;
  data: string;
}

/** Feed it decoded lines; it returns an event when a blank line ends one. */
export class SseDecoder {
  private event = "message";
  private data: string[] = [];

  feed(line: string): ServerSentEvent | undefined {
    if (line === "") return this.flush();
    if (line.startsWith(":")) return undefined; // a comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    return undefined;
  }

  /** The event in progress, if it has data (the stream ended without a blank line). */
  flush(): ServerSentEvent | undefined {
    const event = this.data.length ? { event: this.event, data: this.data.join("\n") } : undefined;
    this.event = "message";
    this.data = [];
    return event;
  }
}

/** Lines of a byte stream, split on LF, CRLF or CR, decoded as UTF-8 across chunk boundaries. */
export async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const parts = buffered.split(/\r\n|\n|\r(?!$)/);
      buffered = done ? "" : (parts.pop() ?? "");
      for (const part of parts) yield part;
      if (done) {
        if (buffered) yield buffered;
        return;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new SseDecoder();
  for await (const line of lines(body)) {
    const event = decoder.feed(line);
    if (event) yield event;
  }
  const last = decoder.flush();
  if (last) yield last;
}
