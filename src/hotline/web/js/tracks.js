// The tracks layer on the page: a canvas in its own map pane whose drawing is handed to the
// tracks worker (canvas.transferControlToOffscreen()), so neither fetching, parsing nor
// drawing a thousand tracks runs on the page's main thread. The page only tells the worker
// the view (size, zoom and pixel anchor, replay time, encounters) when it changes, and reads
// back what was drawn (`stats`: tracks held and drawn, draw time, a few tracks' states).

/* global L */

/** The worker's view of the map: size, zoom and the pixel offset that anchors its projection
 * (trackstore.js's projector) on Leaflet's own answer for the map's centre. */
export function viewOf(map) {
  const size = map.getSize(), zoom = map.getZoom(), c = map.getCenter();
  const p = map.latLngToContainerPoint(c);
  const R = 6378137, D = Math.PI / 180, scale = 256 * Math.pow(2, zoom), k = 0.5 / (Math.PI * R);
  const la = Math.max(-85.0511287798, Math.min(85.0511287798, c.lat)) * D;
  const x = scale * (k * R * c.lng * D + 0.5);
  const y = scale * (-k * R * Math.log(Math.tan(Math.PI / 4 + la / 2)) + 0.5);
  return { w: size.x, h: size.y, dpr: window.devicePixelRatio || 1, zoom, dx: p.x - x,
           dy: p.y - y, labels: zoom >= 9 };
}

export const TrackLayer = L.Layer.extend({
  initialize(worker, { time }) {
    this.worker = worker;
    this.time = time; // null: live, else the replay time (epoch ms)
    this.encounters = [];
    this.stats = { size: 0, drawn: 0, ms: 0, draws: 0, sample: {} };
    this.frame = 0;
  },

  onAdd(map) {
    const pane = map.getPane("tracks") || map.createPane("tracks");
    pane.style.zIndex = 450;
    pane.classList.add("track-pane");
    this.canvas = L.DomUtil.create("canvas", "tracks-canvas", pane);
    const offscreen = this.canvas.transferControlToOffscreen();
    this.worker.postMessage({ canvas: offscreen }, [offscreen]);
    map.on("move moveend zoomend resize viewreset", this.redraw, this);
    map.on("zoomstart", this.hide, this);
    this.redraw();
  },

  onRemove(map) {
    map.off("move moveend zoomend resize viewreset", this.redraw, this);
    map.off("zoomstart", this.hide, this);
    L.DomUtil.remove(this.canvas);
  },

  hide() { this.canvas.style.visibility = "hidden"; this.hidden = true; },

  setEncounters(pairs) { this.encounters = pairs; this.redraw(); },

  /** Send the view at the next animation frame (many calls, one message). */
  redraw() {
    if (this.frame || !this._map) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const map = this._map;
      if (!map) return;
      const view = viewOf(map);
      this.canvas.style.width = `${view.w}px`;
      this.canvas.style.height = `${view.h}px`;
      L.DomUtil.setPosition(this.canvas, map.containerPointToLayerPoint([0, 0]));
      this.worker.postMessage({ view: { ...view, time: this.time(), encounters: this.encounters } });
    });
  },

  /** What the worker reports after each draw. */
  drew(stats) {
    this.stats = { ...stats, draws: this.stats.draws + 1 };
    if (this.hidden) { this.canvas.style.visibility = "visible"; this.hidden = false; }
  },
});
