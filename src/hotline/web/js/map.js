// The map: an offline base map drawn from Natural Earth (world-atlas TopoJSON, vendored) on
// Leaflet's canvas renderer, and the zones and notices the party may see. No tile server.
//
// Styles: zones by role (airspace blue, protected green, engagement red), own notices amber,
// another party's declaration that does not conflict with ours only as a reserved volume (grey,
// dashed: the API withholds its details), anything in conflict magenta and thick.

/* global L, topojson */

import { esc } from "./clock.js";

const ROLE = { airspace: "#4aa3ff", protected: "#36c275", engagement: "#ff4d4f" };

export function createMap(element) {
  const map = L.map(element, { preferCanvas: true, worldCopyJump: true, minZoom: 2,
                               maxZoom: 14, zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Natural Earth · Leaflet");
  map.setView([30, 20], 3);
  return map;
}

export async function drawBaseMap(map) {
  const r = await fetch("vendor/world-atlas/countries-50m.json");
  const topo = await r.json();
  const land = topojson.feature(topo, topo.objects.countries);
  const borders = topojson.mesh(topo, topo.objects.countries, (a, b) => a !== b);
  const renderer = L.canvas({ padding: 0.2 });
  L.geoJSON(land, { renderer, interactive: false,
                    style: { color: "#2c4257", weight: 0, fillColor: "#1c2b38", fillOpacity: 1 } })
    .addTo(map);
  L.geoJSON(borders, { renderer, interactive: false,
                       style: { color: "#3f5870", weight: 1, fill: false } }).addTo(map);
}

function altText(v) {
  const lo = v.volume.altitude_lower, hi = v.volume.altitude_upper;
  const ft = (a) => `${Math.round(a.value / 0.3048)} ft`;
  return `${ft(lo)}–${ft(hi)} ${lo.reference}`;
}

function shapes(v, style) {
  const vol = v.volume;
  if (vol.outline_polygon) {
    return L.polygon(vol.outline_polygon.vertices.map((p) => [p.lat, p.lng]), style);
  }
  const c = vol.outline_circle;
  return L.circle([c.center.lat, c.center.lng], { ...style, radius: c.radius.value });
}

/** The zones and notices layer; `update(zones, notices, party)` redraws it from API lists. */
export class Declarations {
  constructor(map) {
    this.map = map;
    this.group = L.featureGroup().addTo(map);
    this.signature = "";
    this.fitted = false;
  }

  style(d, party) {
    const full = d.details === undefined;
    const conflict = full && d.conflicts && d.conflicts.length > 0;
    if (d.kind === "zone" && full && (d.owner === party || conflict)) {
      const color = conflict ? "#ff3df5" : ROLE[d.role] || "#4aa3ff";
      return { color, weight: conflict ? 3 : 2, fillColor: ROLE[d.role] || color,
               fillOpacity: d.role === "engagement" ? 0.18 : 0.08,
               dashArray: d.role === "engagement" ? "6 4" : null };
    }
    if (d.owner === party || conflict) {
      const color = conflict ? "#ff3df5" : "#ffb020";
      return { color, weight: conflict ? 3 : 2, fillColor: color, fillOpacity: 0.12 };
    }
    return { color: "#8da0b3", weight: 1, dashArray: "4 4", fillColor: "#8da0b3",
             fillOpacity: 0.05 };
  }

  label(d, v, party) {
    const full = d.details === undefined;
    const what = d.kind === "zone" ? `zone ${full ? d.role || "" : "(reserved)"}`
                                   : `notice ${full ? d.state || "" : "(reserved)"}`;
    const lines = [`<b>${esc(d.id)}</b> — ${esc(d.owner)}${d.owner === party ? " (yours)" : ""}`, esc(what),
      esc(altText(v)), esc(`${v.time_start.value} → ${v.time_end.value}`)];
    if (full && d.name) lines.push(esc(d.name));
    if (full && d.purpose) lines.push(esc(d.purpose));
    if (full && d.conflicts && d.conflicts.length) {
      lines.push(`<b>conflicts with</b> ${esc(d.conflicts.map((c) => c.with.id).join(", "))}`);
    }
    return lines.join("<br>");
  }

  update(zones, notices, party) {
    const all = [...zones, ...notices];
    const signature = JSON.stringify(all.map((d) => [d.id, d.owner, d.version,
      d.conflicts ? d.conflicts.length : -1]));
    if (signature === this.signature) return;
    this.signature = signature;
    this.group.clearLayers();
    // zones under notices; reserved (others') under own and conflicting
    const rank = (d) => (d.kind === "zone" ? 0 : 2) + (d.owner === party ? 1 : 0);
    for (const d of all.sort((a, b) => rank(a) - rank(b))) {
      const style = this.style(d, party);
      for (const v of d.volumes) {
        const layer = shapes(v, style);
        layer.bindTooltip(this.label(d, v, party), { sticky: true });
        layer.declaration = d;
        this.group.addLayer(layer);
      }
    }
    if (!this.fitted && all.length) {
      this.fitted = true;
      this.map.fitBounds(this.group.getBounds().pad(0.3), { maxZoom: 9 });
    }
  }

  /** Counts by style class, for the screen's summary and the tests. */
  counts() {
    let zones = 0, notices = 0, conflicts = 0;
    this.group.eachLayer((l) => {
      const d = l.declaration;
      if (d.kind === "zone") zones++; else notices++;
      if (d.conflicts && d.conflicts.length) conflicts++;
    });
    return { zones, notices, conflicts };
  }
}
