// Tracks: a store of every track the party may see (history decimated to one point per
// STEP_MS, about an hour kept per track in a typed ring buffer), and one canvas layer that
// draws all of them in a single pass per animation frame — trails, straight-line predicted
// paths (LOOKAHEAD_S ahead at the reported ground speed and track angle) and encounter lines.
// Updates never touch the DOM: ingest() marks the layer dirty and the next frame redraws it.
// Units: time in epoch ms; lat/lng degrees; alt metres; gs m/s; trk degrees true.

/* global L */

const CAP = 400;            // history points per track
const STEP_MS = 9000;       // at most one history point per 9 s: CAP points ≈ one hour
const F = 6;                // fields per point: t, lat, lng, alt_m, gs_mps, trk_deg
export const LOOKAHEAD_S = 120;
export const TRAIL_MS = 5 * 60 * 1000;
export const STALE_MS = 60 * 1000;
const M_PER_DEG = 111320;
const KT = 1852 / 3600, FT = 0.3048;

function num(...xs) { for (const x of xs) if (typeof x === "number" && isFinite(x)) return x; return null; }

/** One report in any of the shapes the tracks API may answer, as {party, id, t, lat, lng,
 * alt, gs, trk, callsign}; null if it has no position or time. */
export function normalise(r, fallbackParty) {
  const pos = r.position || r;
  const vel = r.velocity || r;
  const lat = num(pos.lat, pos.latitude);
  const lng = num(pos.lng, pos.lon, pos.longitude);
  const when = r.time || r.t || r.at || r.timestamp || r.updated_at;
  const t = typeof when === "number" ? when * 1000 : Date.parse(when && (when.value || when));
  if (lat === null || lng === null || !isFinite(t)) return null;
  const alt = num(pos.alt_m, r.alt_m, pos.altitude_m) ??
    (num(pos.alt_ft, r.alt_ft) !== null ? num(pos.alt_ft, r.alt_ft) * FT : null) ??
    num(pos.altitude && pos.altitude.value) ?? 0;
  const gs = num(vel.gs_mps, r.gs_mps, vel.speed_mps) ??
    (num(vel.gs_kt, r.gs_kt) !== null ? num(vel.gs_kt, r.gs_kt) * KT : null) ?? 0;
  const trk = num(vel.trk_deg, r.trk_deg, vel.track_deg, r.track_deg, r.heading_deg) ?? 0;
  const party = r.party || r.owner || fallbackParty;
  const id = String(r.track_id || r.aircraft_id || r.id || r.icao24 || r.callsign);
  return { party, id, t, lat, lng, alt, gs, trk, callsign: r.callsign || id };
}

/** Where a track at (lat, lng) moving at gs m/s on trk degrees is after `s` seconds
 * (flat-earth step: fine for the few kilometres of a two-minute lookahead). */
export function ahead(lat, lng, gs, trk, s) {
  const a = (trk * Math.PI) / 180, d = gs * s;
  const dlat = (d * Math.cos(a)) / M_PER_DEG;
  const dlng = (d * Math.sin(a)) / (M_PER_DEG * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
  return [lat + dlat, lng + dlng];
}

/** A projection from lat/lng to container pixels for the map's current view, without
 * allocating (Web Mercator as Leaflet's EPSG3857, anchored on Leaflet's own answer for one
 * point so it matches the other layers exactly). Returns the x into out[0], y into out[1]. */
export function projector(map) {
  const R = 6378137, D = Math.PI / 180, MAX = 85.0511287798;
  const scale = 256 * Math.pow(2, map.getZoom()), k = 0.5 / (Math.PI * R);
  const raw = (lat, lng, out) => {
    const la = Math.max(-MAX, Math.min(MAX, lat)) * D;
    out[0] = scale * (k * R * lng * D + 0.5);
    out[1] = scale * (-k * R * Math.log(Math.tan(Math.PI / 4 + la / 2)) + 0.5);
  };
  const anchor = map.getCenter(), p = map.latLngToContainerPoint(anchor), q = [0, 0];
  raw(anchor.lat, anchor.lng, q);
  const dx = p.x - q[0], dy = p.y - q[1];
  return (lat, lng, out) => { raw(lat, lng, out); out[0] += dx; out[1] += dy; };
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
      const key = `${r.party}/${r.id}`;
      let tr = this.tracks.get(key);
      if (!tr) {
        tr = new Track(r.party, r.id);
        this.tracks.set(key, tr);
        this.byId.set(r.id, tr);
      }
      tr.add(r);
      if (r.t > this.newest) this.newest = r.t;
      n++;
    }
    return n;
  }

  get size() { return this.tracks.size; }
}

/** The canvas layer; `time()` gives the time to draw (live: the service's now). */
export const TrackLayer = L.Layer.extend({
  initialize(store, { party, time, live }) {
    this.store = store;
    this.party = party;
    this.time = time;
    this.live = live;
    this.encounters = [];
    this.staleMs = STALE_MS;
    this.frame = 0;
    this.drawMs = 0;
  },

  onAdd(map) {
    const pane = map.getPane("tracks") || map.createPane("tracks");
    pane.style.zIndex = 450;
    pane.classList.add("track-pane");
    this.canvas = L.DomUtil.create("canvas", "tracks-canvas", pane);
    this.ctx = this.canvas.getContext("2d");
    map.on("move moveend zoomend resize viewreset", this.redraw, this);
    map.on("zoomstart", this.hide, this);
    this.redraw();
  },

  onRemove(map) {
    map.off("move moveend zoomend resize viewreset", this.redraw, this);
    map.off("zoomstart", this.hide, this);
    L.DomUtil.remove(this.canvas);
  },

  hide() { this.canvas.style.visibility = "hidden"; },

  setEncounters(pairs) { this.encounters = pairs; this.redraw(); },

  /** Ask for one redraw at the next animation frame (many calls, one draw). */
  redraw() {
    if (this.frame || !this._map) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  },

  draw() {
    const t0 = performance.now();
    const map = this._map, size = map.getSize(), dpr = window.devicePixelRatio || 1;
    const c = this.canvas, ctx = this.ctx;
    if (c.width !== size.x * dpr || c.height !== size.y * dpr) {
      c.width = size.x * dpr; c.height = size.y * dpr;
      c.style.width = `${size.x}px`; c.style.height = `${size.y}px`;
    }
    L.DomUtil.setPosition(c, map.containerPointToLayerPoint([0, 0]));
    c.style.visibility = "visible";
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.x, size.y);
    const now = this.time();
    const margin = 150, showLabels = map.getZoom() >= 8 || this.store.size <= 60;
    const paths = { own: new Path2D(), other: new Path2D() };
    const trails = { own: new Path2D(), other: new Path2D() };
    const predicted = new Path2D();
    const labels = [];
    const where = new Map();
    const proj = projector(map), p = [0, 0], q = [0, 0];
    for (const tr of this.store.tracks.values()) {
      const s = tr.stateAt(now);
      if (!s || now - s.t > this.staleMs) continue; // aged out (live or as of the replay time)
      proj(s.lat, s.lng, p);
      const px = p[0], py = p[1];
      where.set(tr.id, [px, py]);
      if (px < -margin || py < -margin || px > size.x + margin || py > size.y + margin) continue;
      const group = tr.party === this.party ? "own" : "other";
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
      if (showLabels) labels.push([tr.callsign, px + 8, py - 6]);
    }
    ctx.lineWidth = 1.5;
    ctx.setLineDash([]);
    ctx.strokeStyle = "rgba(90, 230, 255, 0.55)"; ctx.stroke(trails.own);
    ctx.strokeStyle = "rgba(255, 190, 80, 0.55)"; ctx.stroke(trails.other);
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = "rgba(230, 240, 250, 0.6)"; ctx.stroke(predicted);
    ctx.setLineDash([]);
    ctx.fillStyle = "#5ae6ff"; ctx.fill(paths.own);
    ctx.fillStyle = "#ffbe50"; ctx.fill(paths.other);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#ff3b3b";
    for (const e of this.encounters) {
      const a = where.get(e.a), b = where.get(e.b);
      if (!a || !b) continue;
      ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
      ctx.beginPath(); ctx.arc(a[0], a[1], 10, 0, 2 * Math.PI); ctx.stroke();
      ctx.beginPath(); ctx.arc(b[0], b[1], 10, 0, 2 * Math.PI); ctx.stroke();
    }
    if (labels.length) {
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "#dfe7ef";
      for (const [text, x, y] of labels) ctx.fillText(text, x, y);
    }
    this.drawn = where.size;
    this.drawMs = performance.now() - t0;
  },
});
