// The console's entry point: login (a token pasted into a form, kept in sessionStorage for
// this tab only — never in a URL), then the live screen: map, alerts, messages, replay.
//
// Live data: the event stream (alerts, messages, escalations, acknowledgments) pushes; zones
// and notices are re-read every DECL_POLL_MS and after every alert (conflicts change them);
// tracks are polled, kept and drawn by a worker (js/track-worker.js, off the main thread);
// sent messages are re-read every OUTBOX_POLL_MS while one awaits its ack.

import { AlertList } from "./alerts.js";
import { Api, claims } from "./api.js";
import { fmtTime, ServiceClock } from "./clock.js";
import { createMap, Declarations, drawBaseMap } from "./map.js";
import { MessagePane } from "./messages.js";
import { EventStream } from "./stream.js";
import { TrackLayer } from "./tracks.js";

const KEY = "hotline.token";
const DECL_POLL_MS = 10000;
const OUTBOX_POLL_MS = 3000;
const $ = (id) => document.getElementById(id);

function showLogin(message) {
  $("console").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function login(token) {
  let who;
  try {
    who = claims(token);
  } catch (e) {
    showLogin(`Not a Hotline token: ${e.message}.`);
    return;
  }
  if (who.exp && who.exp * 1000 < Date.now()) {
    showLogin(`This token expired at ${new Date(who.exp * 1000).toISOString()}; ask for a new one (hotline token --party ${who.party}).`);
    return;
  }
  const api = new Api(token, () => {
    sessionStorage.removeItem(KEY);
    showLogin("The service refused the token (expired, revoked or for another service). Log in again.");
    if (window.hotline && window.hotline.stream) window.hotline.stream.stop();
  });
  let templates;
  try {
    templates = (await api.get("/v1/templates")).items;
  } catch (e) {
    showLogin(e.status === 401 ? "The service refused this token." : `Cannot reach the service: ${e.message}`);
    return;
  }
  sessionStorage.setItem(KEY, token);
  $("login").hidden = true;
  $("console").hidden = false;
  start(api, who, templates);
}

function start(api, who, templates) {
  const party = who.party;
  $("party").textContent = party;
  $("officer").textContent = who.officer || "";
  const clock = new ServiceClock();
  clock.fromHeader(api.serverSkewMs);
  const state = { viewTime: null };
  const time = () => (state.viewTime === null ? clock.now() : state.viewTime);

  const map = createMap($("map"));
  drawBaseMap(map).catch((e) => console.error("base map", e));
  const decls = new Declarations(map);
  const worker = new Worker(new URL("./track-worker.js", import.meta.url), { type: "module" });
  const layer = new TrackLayer(worker, { time: () => state.viewTime });
  layer.addTo(map);

  const refreshEncounters = () => {
    const pairs = [];
    for (const a of alerts.alerts()) {
      if (!a.subject || !a.other || a.ack) continue;
      if (a.subject.kind === "track" && a.other.kind === "track") {
        pairs.push({ a: a.subject.id, b: a.other.id, severity: a.severity });
      }
    }
    layer.setEncounters(pairs);
  };
  const alerts = new AlertList($("alerts"), $("alert-count"), { party, api, clock,
                                                               onChange: () => refreshEncounters() });
  const messages = new MessagePane(document, { party, api, clock });
  messages.setTemplates(templates);

  let declTimer = 0;
  const loadDeclarations = async () => {
    clearTimeout(declTimer);
    try {
      const [zones, notices] = await Promise.all([api.all("/v1/zones"), api.all("/v1/notices")]);
      decls.update(zones, notices, party);
      messages.addParties([...zones, ...notices].map((d) => d.owner));
    } catch (e) { console.warn("declarations", e); }
    declTimer = setTimeout(loadDeclarations, DECL_POLL_MS);
  };

  const onEvent = (kind, e) => {
    const item = e.item;
    // The stream starts only after every alert was loaded, so an alert event for an alert
    // not on screen is new (it beeps even a moment after connecting); known ones just update.
    // The clock learns only from events that arrive well after connecting (not the backlog).
    if (Date.now() - stream.openedAt > 1500) clock.observe(Date.parse(e.created_at));
    if (kind === "alert") {
      alerts.upsert([item], { live: true });
      loadDeclarations();
    } else if (kind === "message") {
      messages.upsert([item]);
    } else if (item && item.type && item.item) { // escalation, unacknowledged, acknowledged
      if (item.type === "alert") alerts.upsert([item.item], { live: kind === "escalation" });
      else messages.upsert([item.item]);
    }
  };
  const stream = new EventStream(api, {
    onEvent,
    onStatus: (s) => {
      if (s === "live") stream.openedAt = Date.now();
      $("conn").dataset.state = s;
      $("conn").textContent = s;
    },
    canConfirm: who.scopes.some((s) => s === "duty" || s === "hotline:duty"),
  });
  stream.openedAt = Date.now();

  // Tracks: the worker polls, keeps and draws them; the page shows what it reports.
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.unauthorized) api.onUnauthorized();
    if (m.stats) {
      layer.drew(m.stats);
      $("track-count").textContent = `${m.stats.size} tracks`;
    }
  };
  const pollTracks = () => worker.postMessage({ token: api.token, party });

  const pollOutbox = async () => {
    if (messages.waiting()) {
      try { messages.upsert(await api.all("/v1/messages?box=out")); } catch (_) { /* next time */ }
    }
    setTimeout(pollOutbox, OUTBOX_POLL_MS);
  };

  (async () => {
    try {
      const [a, inbox, outbox] = await Promise.all([api.all("/v1/alerts"),
        api.all("/v1/messages?box=in"), api.all("/v1/messages?box=out")]);
      alerts.upsert(a);
      messages.upsert([...inbox, ...outbox]);
    } catch (e) { console.warn("initial load", e); }
    stream.start();
    loadDeclarations();
    pollTracks();
    pollOutbox();
  })();

  // Once a second: the clock, the countdowns, and a redraw so stale tracks age out.
  setInterval(() => {
    $("clock").textContent = `${fmtTime(clock.now())} UTC`;
    alerts.tick();
    messages.tick();
  }, 1000);

  // Replay: the slider picks a time in the past hour; Live returns to now.
  const slider = $("slider");
  const setView = () => {
    const back = Number(slider.value);
    state.viewTime = back >= 0 ? null : clock.now() + back * 1000;
    $("replay-time").textContent = state.viewTime === null ? "live"
      : `${fmtTime(state.viewTime)} (−${Math.round(-back / 60)} min)`;
    $("live").disabled = state.viewTime === null;
    alerts.setViewTime(state.viewTime);
    messages.setViewTime(state.viewTime);
    layer.redraw();
  };
  slider.addEventListener("input", setView);
  $("live").addEventListener("click", () => { slider.value = "0"; setView(); });
  $("logout").addEventListener("click", () => {
    stream.stop();
    worker.postMessage({ stop: true });
    sessionStorage.removeItem(KEY);
    location.reload();
  });

  // For tests and for the curious: what the console holds (no secrets: no token).
  window.hotline = { map, layer, alerts, messages, decls, stream, clock, state };
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const form = e.target;
  // a user gesture: browsers allow the alert sound only after one
  const ctx = window.AudioContext ? new AudioContext() : null;
  window.hotlineAudio = ctx;
  login(form.token.value).then(() => {
    if (window.hotline) window.hotline.alerts.audio = ctx;
  });
  form.token.value = "";
});

const saved = sessionStorage.getItem(KEY);
if (saved) login(saved);
