// Track reports as the tracks API answers them, normalised and packed for transfer from the
// polling worker to the page: {party, id, t, lat, lng, alt, gs, trk, callsign}. No DOM, no
// Leaflet: imported by the page and by js/track-worker.js alike.
// Units: time in epoch ms; lat/lng degrees; alt metres; gs m/s; trk degrees true.

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

/** Numbers per packed report: t, lat, lng, alt, gs, trk. */
export const PACKED = 6;

/** Normalise `items` (and each one's `trail`, oldest first, when given) into parallel
 * arrays: keys ("party\u0000id"), callsigns, and a Float64Array of PACKED numbers each. */
export function pack(items, fallbackParty, withTrails) {
  const rows = [];
  for (const t of items) {
    if (withTrails && Array.isArray(t.trail)) {
      for (const p of t.trail) {
        const r = normalise({ ...p, party: t.party, id: t.id, callsign: t.callsign }, fallbackParty);
        if (r) rows.push(r);
      }
    }
    const r = normalise(t, fallbackParty);
    if (r) rows.push(r);
  }
  const data = new Float64Array(rows.length * PACKED);
  const keys = new Array(rows.length), callsigns = new Array(rows.length);
  rows.forEach((r, i) => {
    keys[i] = `${r.party}\u0000${r.id}`;
    callsigns[i] = r.callsign;
    data.set([r.t, r.lat, r.lng, r.alt, r.gs, r.trk], i * PACKED);
  });
  return { keys, callsigns, data };
}
