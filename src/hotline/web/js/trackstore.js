// Tracks: a store of every track the party may see (history decimated to one point per
// STEP_MS, about an hour kept per track in a typed ring buffer), and render(), which draws
// all of them in one pass — trails, straight-line predicted paths (LOOKAHEAD_S ahead at the
// reported ground speed and track angle) and encounter lines. No DOM and no Leaflet: it runs
// in the tracks worker (js/track-worker.js) on an OffscreenCanvas, off the page's main thread.
// Units: time in epoch ms; lat/lng degrees; alt metres; gs m/s; trk degrees true.

import { normalise, PACKED } from "./reports.js";

const CAP = 400;            // history points per track
const STEP_MS = 9000;       // at most one history point per 9 s: CAP points ≈ one hour
const F = 6;                // fields per point: t, lat, lng, alt_m, gs_mps, trk_deg
export const LOOKAHEAD_S = 120;
export const TRAIL_MS = 5 * 60 * 1000;
export const STALE_MS = 60 * 1000;
const M_PER_DEG = 111320;
/** Where a track at (lat, lng) moving at gs m/s on trk degrees is after `s` seconds
 * (flat-earth step: fine for the few kilometres of a two-minute lookahead). */
export function ahead(lat, lng, gs, trk, s) {
  const a = (trk * Math.PI) / 180, d = gs * s;
  const dlat = (d * Math.cos(a)) / M_PER_DEG;
  const dlng = (d * Math.sin(a)) / (M_PER_DEG * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
  return [lat + dlat, lng + dlng];
}

class Track {
  constructor(party, id) {
    this.party = party;
    this.id = id;
    this.callsign = id;
    this.buf = new Float64Array(CAP * F);
    this.n = 0;       // points held
    this.head = 0;    // index of the next write
    this.last = null; // the latest report: {t, lat, lng, alt, gs, trk}
  }

  at(i) { return ((this.head - this.n + i) % CAP + CAP) % CAP * F; } // i-th oldest point

  add(r) {
    if (this.last && r.t <= this.last.t) {
      if (r.t < this.last.t) this.insertPast(r);
      return;
    }
    const newest = this.n ? this.buf[this.at(this.n - 1)] : -Infinity;
    if (r.t - newest >= STEP_MS) this.write(r);
    this.last = r;
    this.callsign = r.callsign;
  }

  insertPast(r) { // history fetched after live data: keep only if it is older than all we hold
    if (!this.n || r.t < this.buf[this.at(0)] - STEP_MS) {
      if (this.n < CAP) {
        this.head = (this.head - this.n - 1 + CAP) % CAP; // make room before the oldest
        this.buf.set([r.t, r.lat, r.lng, r.alt, r.gs, r.trk], this.head * F);
        this.n += 1;
        this.head = (this.head + this.n) % CAP;
      }
    }
  }

  write(r) {
    this.buf.set([r.t, r.lat, r.lng, r.alt, r.gs, r.trk], this.head * F);
    this.head = (this.head + 1) % CAP;
    this.n = Math.min(this.n + 1, CAP);
  }

  /** The state at time t (the latest point not after t), or null. */
  stateAt(t) {
    if (this.last && this.last.t <= t) return this.last;
    let lo = 0, hi = this.n - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.buf[this.at(mid)] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return null;
    const o = this.at(found), b = this.buf;
    return { t: b[o], lat: b[o + 1], lng: b[o + 2], alt: b[o + 3], gs: b[o + 4], trk: b[o + 5] };
  }

  /** Calls fn(lat, lng) for history points in (from, to], oldest first. */
  trail(from, to, fn) {
    for (let i = 0; i < this.n; i++) {
      const o = this.at(i), t = this.buf[o];
      if (t > from && t <= to) fn(this.buf[o + 1], this.buf[o + 2]);
    }
  }
}

export class TrackStore {
  constructor() { this.tracks = new Map(); this.byId = new Map(); this.newest = 0; }

  ingest(reports, fallbackParty) {
    let n = 0;
    for (const raw of reports) {
      const r = normalise(raw, fallbackParty);
      if (!r) continue;
      this.add(`${r.party}\u0000${r.id}`, r.party, r.id, r);
      n++;
    }
    return n;
  }

  /** Reports packed by reports.js's pack() (from the polling worker). */
  ingestPacked({ keys, callsigns, data }) {
    for (let i = 0; i < keys.length; i++) {
      const o = i * PACKED, key = keys[i];
      let tr = this.tracks.get(key);
      const r = { t: data[o], lat: data[o + 1], lng: data[o + 2], alt: data[o + 3],
                  gs: data[o + 4], trk: data[o + 5], callsign: callsigns[i] };
      if (!tr) {
        const cut = key.indexOf("\u0000");
        tr = this.add(key, key.slice(0, cut), key.slice(cut + 1), r);
      } else {
        tr.add(r);
        if (r.t > this.newest) this.newest = r.t;
      }
    }
    return keys.length;
  }

  add(key, party, id, r) {
    let tr = this.tracks.get(key);
    if (!tr) {
      tr = new Track(party, id);
      this.tracks.set(key, tr);
      this.byId.set(id, tr);
    }
    tr.add(r);
    if (r.t > this.newest) this.newest = r.t;
    return tr;
  }

  get size() { return this.tracks.size; }
}

/** A projection from lat/lng to container pixels for a view {zoom, dx, dy} (Web Mercator as
 * Leaflet's EPSG3857; dx, dy anchor it on Leaflet's own answer for one point, see
 * tracks.js's viewOf()). Writes x into out[0], y into out[1]; allocates nothing. */
export function projector({ zoom, dx, dy }) {
  const R = 6378137, D = Math.PI / 180, MAX = 85.0511287798;
  const scale = 256 * Math.pow(2, zoom), k = 0.5 / (Math.PI * R);
  return (lat, lng, out) => {
    const la = Math.max(-MAX, Math.min(MAX, lat)) * D;
    out[0] = scale * (k * R * lng * D + 0.5) + dx;
    out[1] = scale * (-k * R * Math.log(Math.tan(Math.PI / 4 + la / 2)) + 0.5) + dy;
  };
}

/** Draw every track of `store` visible at `now` on ctx (a w×h CSS-pixel view): returns
 * {drawn, encounters, ms}. `encounters` are {a, b} aircraft-id pairs joined by a red line. */
export function render(ctx, store, { w, h, dpr, now, staleMs, party, encounters, labels }, proj) {
  const t0 = performance.now();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const margin = 150, showLabels = store.size <= 60 || (labels && store.size <= 300);
  const paths = { own: new Path2D(), other: new Path2D() };
  const trails = { own: new Path2D(), other: new Path2D() };
  const predicted = new Path2D();
  const text = [];
  const p = [0, 0], q = [0, 0];
  let drawn = 0, joined = 0;
  for (const tr of store.tracks.values()) {
    const s = tr.stateAt(now);
    if (!s || now - s.t > staleMs) continue; // aged out (live or as of the replay time)
    drawn++;
    proj(s.lat, s.lng, p);
    const px = p[0], py = p[1];
    if (px < -margin || py < -margin || px > w + margin || py > h + margin) continue;
    const group = tr.party === party ? "own" : "other";
    let first = true;
    const trail = trails[group];
    tr.trail(s.t - TRAIL_MS, s.t, (lat, lng) => {
      proj(lat, lng, q);
      if (first) { trail.moveTo(q[0], q[1]); first = false; } else trail.lineTo(q[0], q[1]);
    });
    if (!first) trail.lineTo(px, py);
    if (s.gs > 0.5) {
      const [la, ln] = ahead(s.lat, s.lng, s.gs, s.trk, LOOKAHEAD_S);
      proj(la, ln, q);
      predicted.moveTo(px, py);
      predicted.lineTo(q[0], q[1]);
    }
    // a small arrowhead along the track angle
    const a = (s.trk * Math.PI) / 180, sx = Math.sin(a), cy = -Math.cos(a);
    const body = paths[group];
    body.moveTo(px + sx * 7, py + cy * 7);
    body.lineTo(px - sx * 4 + cy * 4, py - cy * 4 - sx * 4);
    body.lineTo(px - sx * 4 - cy * 4, py - cy * 4 + sx * 4);
    body.closePath();
    if (showLabels) text.push([tr.callsign, px + 8, py - 6]);
  }
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "rgba(90, 230, 255, 0.55)"; ctx.stroke(trails.own);
  ctx.strokeStyle = "rgba(255, 190, 80, 0.55)"; ctx.stroke(trails.other);
  ctx.lineWidth = 1;
  ctx.strokeStyle = "rgba(230, 240, 250, 0.45)"; ctx.stroke(predicted);
  ctx.fillStyle = "#5ae6ff"; ctx.fill(paths.own);
  ctx.fillStyle = "#ffbe50"; ctx.fill(paths.other);
  ctx.lineWidth = 2.5;
  ctx.strokeStyle = "#ff3b3b";
  for (const e of encounters || []) {
    const ta = store.byId.get(e.a), tb = store.byId.get(e.b);
    const sa = ta && ta.stateAt(now), sb = tb && tb.stateAt(now);
    if (!sa || !sb || now - sa.t > staleMs || now - sb.t > staleMs) continue;
    joined++;
    proj(sa.lat, sa.lng, p);
    proj(sb.lat, sb.lng, q);
    ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.lineTo(q[0], q[1]); ctx.stroke();
    ctx.beginPath(); ctx.arc(p[0], p[1], 10, 0, 2 * Math.PI); ctx.stroke();
    ctx.beginPath(); ctx.arc(q[0], q[1], 10, 0, 2 * Math.PI); ctx.stroke();
  }
  if (text.length) {
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#dfe7ef";
    for (const [label, x, y] of text) ctx.fillText(label, x, y);
  }
  return { drawn, encounters: joined, ms: performance.now() - t0 };
}
