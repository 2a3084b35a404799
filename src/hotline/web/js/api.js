// The HTTP client: every request carries the bearer token in a header (never in a URL).
// Errors are RFC 9457 problem+json from the API; ApiError keeps status, detail and hint.

export class ApiError extends Error {
  constructor(status, detail, hint) {
    super(hint ? `${detail} — ${hint}` : detail);
    this.status = status;
    this.detail = detail;
    this.hint = hint;
  }
}

/** Party, officer, scopes and expiry read from a JWT's payload (not verified here: the API
 * verifies every request; this only labels the screen). */
export function claims(token) {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error("that is not a token (expected three dot-separated parts)");
  const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const c = JSON.parse(json);
  if (!c.party) throw new Error("the token names no party (claim 'party')");
  const scope = Array.isArray(c.scope) ? c.scope : String(c.scope || "").split(/\s+/);
  return { party: c.party, officer: c.sub, exp: c.exp, scopes: scope.filter(Boolean) };
}

export class Api {
  constructor(token, onUnauthorized) {
    this.token = token.trim();
    this.onUnauthorized = onUnauthorized;
    this.serverSkewMs = 0; // server wall clock minus ours, from the Date header
  }

  headers(extra) {
    return { Authorization: `Bearer ${this.token}`, Accept: "application/json", ...extra };
  }

  async request(method, path, body, extra) {
    const init = { method, headers: this.headers(extra), cache: "no-store" };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const r = await fetch(path, init);
    const date = r.headers.get("Date");
    if (date) this.serverSkewMs = Date.parse(date) - Date.now();
    if (r.status === 401 && this.onUnauthorized) this.onUnauthorized();
    if (!r.ok) {
      let detail = `${r.status} ${r.statusText}`, hint = "";
      try {
        const p = await r.json();
        detail = p.detail || p.title || detail;
        hint = p.hint || (p.errors && p.errors[0] && p.errors[0].hint) || "";
      } catch (_) { /* not JSON */ }
      throw new ApiError(r.status, detail, hint);
    }
    return r.status === 204 ? null : r.json();
  }

  get(path) { return this.request("GET", path); }
  post(path, body, extra) { return this.request("POST", path, body, extra); }

  /** Every item of a paged list (`items` + `next`, the `after` of the next page). */
  async all(path, limit = 1000) {
    const out = [];
    let after = null;
    for (;;) {
      const sep = path.includes("?") ? "&" : "?";
      const q = `${path}${sep}limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ""}`;
      const page = await this.get(q);
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
  }
}
