// The service's clock as seen from the page. The service may run a simulated clock (the
// demo), so its time is estimated from what it says: the HTTP Date header at first, then the
// created_at of events that arrive live (an event is stamped at most a moment before it
// reaches us). All times here are epoch milliseconds, UTC.

export class ServiceClock {
  constructor() { this.offsetMs = 0; this.fromEvents = false; }

  now() { return Date.now() + this.offsetMs; }

  /** The HTTP Date header's skew (1 s resolution), used until live events say better. */
  fromHeader(skewMs) { if (!this.fromEvents) this.offsetMs = skewMs; }

  /** The service said its time is `serviceMs` (e.g. GET /v1/tracks's `at`) just now. */
  fromServer(serviceMs) {
    this.offsetMs = serviceMs - Date.now();
    this.fromEvents = true;
  }

  /** An event stamped `createdMs` arrived just now (live, not from the backlog). */
  observe(createdMs) {
    const offset = createdMs - Date.now();
    if (!this.fromEvents || offset > this.offsetMs) this.offsetMs = offset;
    this.fromEvents = true;
  }
}

export function fmtTime(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

export function fmtDuration(s) {
  const sign = s < 0 ? "-" : "";
  s = Math.abs(Math.round(s));
  const m = Math.floor(s / 60), r = s % 60;
  return m >= 60 ? `${sign}${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`
                 : `${sign}${m}:${String(r).padStart(2, "0")}`;
}

export function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;" }[c]));
}
