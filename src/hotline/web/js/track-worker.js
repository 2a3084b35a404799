// The tracks worker: polls GET /v1/tracks off the page's main thread (a thousand tracks is a
// few hundred kilobytes of JSON a second), keeps the track store, and draws the tracks layer
// on the OffscreenCanvas the page hands it — at most once per animation frame, when data,
// view or time changed. Messages in: {token, party} (start polling), {canvas}, {view}, {stop}.
// Out: {stats} after each draw; {gone} when the service has no tracks API; {unauthorized}.

import { pack } from "./reports.js";
import { projector, render, STALE_MS, TrackStore } from "./trackstore.js";

const POLL_MS = 1000;
const store = new TrackStore();
let token = null, party = null, first = true, stopped = false;
let canvas = null, ctx = null, view = null, frame = 0, offsetMs = 0, staleMs = STALE_MS;

function schedule() {
  if (frame || !ctx || !view) return;
  frame = requestAnimationFrame(() => { frame = 0; draw(); });
}

function draw() {
  const w = Math.round(view.w * view.dpr), h = Math.round(view.h * view.dpr);
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const now = view.time === null ? Date.now() + offsetMs : view.time;
  const done = render(ctx, store, { ...view, now, staleMs, party }, projector(view));
  const sample = {};
  let n = 0;
  for (const tr of store.tracks.values()) {
    if (n++ >= 5) break;
    if (tr.last) sample[tr.id] = [tr.last.lat, tr.last.lng, tr.last.t];
  }
  postMessage({ stats: { size: store.size, drawn: done.drawn, encounters: done.encounters,
                         ms: done.ms, sample } });
}

async function poll() {
  if (stopped) return;
  try {
    const r = await fetch(first ? "/v1/tracks?trail=400" : "/v1/tracks", {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      cache: "no-store" });
    if (r.status === 404 || r.status === 405) { postMessage({ gone: true }); return; }
    if (r.status === 401) { postMessage({ unauthorized: true }); return; }
    if (r.ok) {
      const page = await r.json();
      if (page.at) offsetMs = Date.parse(page.at) - Date.now();
      if (page.stale_after_s) staleMs = page.stale_after_s * 1000;
      store.ingestPacked(pack(page.tracks || page.items || [], party, first));
      first = false;
      schedule();
    }
  } catch (_) { /* the network: try again */ }
  setTimeout(poll, POLL_MS);
}

setInterval(schedule, 1000); // tracks age out as time passes

onmessage = (e) => {
  const m = e.data;
  if (m.stop) { stopped = true; return; }
  if (m.canvas) { canvas = m.canvas; ctx = canvas.getContext("2d"); schedule(); }
  if (m.view) { view = m.view; schedule(); }
  if (m.token && token === null) { token = m.token; party = m.party; poll(); }
};
