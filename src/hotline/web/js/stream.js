// The party's event stream read with fetch + ReadableStream (EventSource cannot send the
// Authorization header). Resumes after the last event id with Last-Event-ID on every
// reconnect (backoff 1 s .. 10 s, or the server's `retry:`), and confirms receipt with
// POST /v1/events/ack {"through": seq} once the events were handled (coalesced: one request
// for a burst). Only a duty officer confirms; an admin's console only reads.

export class EventStream {
  constructor(api, { onEvent, onStatus, canConfirm }) {
    this.api = api;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.canConfirm = canConfirm;
    this.lastId = 0;
    this.confirmed = 0;
    this.confirming = false;
    this.stopped = false;
    this.retryMs = 1000;
    this.controller = null;
  }

  start() { this.loop(); }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  /** Drop the connection as a network failure would (tests use it to prove resumption). */
  drop() { if (this.controller) this.controller.abort(); }

  async loop() {
    let backoff = this.retryMs;
    while (!this.stopped) {
      this.controller = new AbortController();
      try {
        const headers = this.api.headers({ Accept: "text/event-stream" });
        if (this.lastId > 0) headers["Last-Event-ID"] = String(this.lastId);
        const r = await fetch("/v1/events", { headers, signal: this.controller.signal,
                                              cache: "no-store" });
        if (r.status === 401 || r.status === 403) {
          this.onStatus("unauthorized");
          if (r.status === 401 && this.api.onUnauthorized) this.api.onUnauthorized();
          return;
        }
        if (!r.ok) throw new Error(`events: ${r.status}`);
        this.onStatus("live");
        backoff = this.retryMs;
        await this.read(r.body);
      } catch (e) {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      this.onStatus("reconnecting");
      await new Promise((res) => setTimeout(res, backoff));
      backoff = Math.min(backoff * 2, 10000);
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let cut;
      while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buf.slice(0, cut);
        buf = buf.slice(cut + (buf[cut] === "\r" ? 4 : 2));
        this.frame(frame);
      }
    }
  }

  frame(text) {
    let id = null, kind = "message";
    const data = [];
    for (const line of text.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = value;
      else if (field === "event") kind = value;
      else if (field === "data") data.push(value);
      else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    }
    if (!data.length) return;
    const seq = id === null ? null : Number(id);
    if (seq !== null && seq <= this.lastId) return; // already handled (never twice)
    this.onEvent(kind, JSON.parse(data.join("\n")));
    if (seq !== null) {
      this.lastId = seq;
      this.confirmSoon();
    }
  }

  confirmSoon() {
    if (!this.canConfirm || this.confirming || this.lastId <= this.confirmed) return;
    this.confirming = true;
    setTimeout(async () => {
      const through = this.lastId;
      try {
        await this.api.post("/v1/events/ack", { through });
        this.confirmed = Math.max(this.confirmed, through);
      } catch (e) {
        if (e.status === 403) this.canConfirm = false;
      } finally {
        this.confirming = false;
        if (this.lastId > this.confirmed) setTimeout(() => this.confirmSoon(), 1000);
      }
    }, 150);
  }
}
