/**
 * The Beacon API's event stream (`GET /eth/v1/events?topics=…`, server-sent events), kept open
 * for as long as the service runs. Topics are repeated query parameters, as the API specifies.
 *
 * Nodes are tried in the configured order: a node that fails is left for the next one, with a
 * growing pause once all have failed. A node that does not serve the endpoint (404, 405, 501)
 * is not asked again; when none serves it the stream ends with a warning, since the monitor
 * still sees the same facts a little later. Each connection is renewed after `maxConnectionMs`,
 * so a connection that died silently (no keep-alives on rare topics) is never trusted for long.
 */
import type { Logger } from "../jobs/logger.js";
import { endpointUrl, exchangeStream, httpEndpoint, sleep, StreamInterrupted, type HttpEndpoint } from "../util/http.js";

export interface BeaconEvent {
  readonly topic: string;
  /** The event's data, parsed as JSON. */
  readonly data: unknown;
}

export interface EventStreamOptions {
  readonly urls: readonly string[];
  readonly topics: readonly string[];
  /** Pause after every node failed; doubles up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  readonly maxConnectionMs?: number;
}

export interface EventStreamDependencies {
  /** Called once per event, in order; a failure is logged and the stream goes on. */
  readonly onEvent: (event: BeaconEvent) => Promise<void>;
  readonly logger: Logger;
}

const NOT_SERVED = new Set([404, 405, 501]);

export class BeaconEventStream {
  private readonly endpoints: readonly HttpEndpoint[];
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly options: EventStreamOptions,
    private readonly deps: EventStreamDependencies,
  ) {
    if (options.urls.length === 0 || options.topics.length === 0) throw new RangeError("an event stream needs at least one node URL and one topic");
    this.endpoints = options.urls.map((url, i) => httpEndpoint(url, `beacon node URL ${i + 1}`));
  }

  start(): void {
    if (this.running !== null) return;
    this.controller = new AbortController();
    this.running = this.run(this.controller.signal);
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.running;
    this.running = null;
  }

  /** Resolves when the stream has ended for good (stopped, or no node serves events). */
  finished(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const serving = new Set(this.endpoints.keys());
    const retryMs = this.options.retryMs ?? 1_000;
    let pause = retryMs;
    while (!signal.aborted) {
      let received = false;
      for (const i of [...serving]) {
        if (signal.aborted) return;
        const endpoint = this.endpoints[i] as HttpEndpoint;
        const outcome = await this.listen(endpoint, signal);
        if (outcome === "not-served") {
          serving.delete(i);
          this.deps.logger.warn({ node: endpoint.label }, "the beacon node serves no event stream; slashings are seen from blocks only");
        }
        if (outcome === "events") {
          received = true;
          break;
        }
      }
      if (serving.size === 0) {
        this.deps.logger.warn({ topics: this.options.topics }, "no beacon node serves the event stream: it is not followed");
        return;
      }
      // Even after a connection that worked, a pause: a node that accepts and drops at once is not hammered.
      pause = received ? retryMs : Math.min(pause * 2, this.options.maxRetryMs ?? 60_000);
      if (!(await sleep(pause, signal))) return;
    }
  }

  /**
   * One connection to one node, until it ends. "events": it was open (it answered 200), so the
   * same node is asked again first; "failed": try the next one; "not-served": never again.
   */
  private async listen(endpoint: HttpEndpoint, signal: AbortSignal): Promise<"events" | "failed" | "not-served"> {
    const query = new URLSearchParams(this.options.topics.map((topic): [string, string] => ["topics", topic]));
    try {
      return await exchangeStream(
        { url: endpointUrl(endpoint, "/eth/v1/events", query), method: "GET", headers: endpoint.headers, accept: "text/event-stream", timeoutMs: this.options.maxConnectionMs ?? 3_600_000, signal },
        async (outcome) => {
          if (outcome.kind === "answered") {
            if (NOT_SERVED.has(outcome.status)) return "not-served";
            this.deps.logger.warn({ node: endpoint.label, status: outcome.status }, "the beacon node refused the event stream");
            return "failed";
          }
          if (outcome.kind !== "streaming") {
            if (outcome.kind !== "aborted") this.deps.logger.warn({ node: endpoint.label, outcome: outcome.kind }, "no connection to the beacon node's event stream");
            return "failed";
          }
          const parser = new EventParser();
          const decoder = new TextDecoder();
          for await (const chunk of outcome.body) {
            for (const event of parser.push(decoder.decode(chunk, { stream: true }))) await this.dispatch(endpoint, event);
          }
          return "events";
        },
      );
    } catch (error) {
      // The connection ended part-way (cut, renewed at maxConnectionMs, or stopped): reconnect.
      if (error instanceof StreamInterrupted) return "events";
      throw error;
    }
  }

  private async dispatch(endpoint: HttpEndpoint, event: { topic: string; data: string }): Promise<void> {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      this.deps.logger.warn({ node: endpoint.label, topic: event.topic }, "an event whose data is not JSON was ignored");
      return;
    }
    try {
      await this.deps.onEvent({ topic: event.topic, data });
    } catch (error) {
      this.deps.logger.error({ err: error, node: endpoint.label, topic: event.topic }, "a beacon node event could not be handled");
    }
  }
}

/**
 * The text/event-stream format (HTML Living Standard, "server-sent events"): fields per line,
 * an event ends at a blank line, `data` lines are joined with newlines, lines starting with ':'
 * are comments; lines end with CRLF, LF or CR.
 */
export class EventParser {
  private buffer = "";
  private topic = "";
  private data: string[] = [];

  push(text: string): { topic: string; data: string }[] {
    this.buffer += text;
    const events: { topic: string; data: string }[] = [];
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (match === null || (match[0] === "\r" && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (line === "") {
        if (this.data.length > 0) events.push({ topic: this.topic === "" ? "message" : this.topic, data: this.data.join("\n") });
        this.topic = "";
        this.data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") this.topic = value;
      else if (name === "data") this.data.push(value);
    }
    return events;
  }
}
