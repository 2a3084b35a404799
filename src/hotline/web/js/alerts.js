// The alert list: severity, what and with whom, a countdown to the ack deadline, an
// Acknowledge button, and a beep on arrival. Rows are created once per alert and updated in
// place (never the whole list rebuilt). Alerts addressed to the other party (seen because
// they escalated, went unacknowledged or were acknowledged over there) are shown too, marked
// "theirs", without a button. In replay, the list shows what was known at the chosen time.

import { fmtDuration, fmtTime } from "./clock.js";

const RANK = { urgent: 3, warning: 2, advisory: 1, info: 0 };

/** The later of two views of one alert: acks, escalations and unacked marks only ever add. */
export function mergeAlert(old, next) {
  if (!old) return next;
  const out = { ...old, ...next };
  out.ack = next.ack || old.ack;
  out.unacked_at = next.unacked_at || old.unacked_at;
  out.escalated_at = next.escalated_at || old.escalated_at;
  out.escalation_level = Math.max(old.escalation_level || 0, next.escalation_level || 0);
  if ((RANK[old.severity] || 0) > (RANK[next.severity] || 0)) out.severity = old.severity;
  return out;
}

function describe(a) {
  const sub = a.subject ? a.subject.id : "?", oth = a.other ? a.other.id : "?";
  return `${a.kind.replace(/_/g, " ")} · ${sub} ↔ ${oth}`;
}

function detail(a, party) {
  const bits = [];
  if (a.party !== party) bits.push(`to ${a.party}`);
  bits.push(fmtTime(Date.parse(a.created_at)));
  const b = a.body || {};
  const lead = b.lead_time || (b.conflict && b.conflict.lead_time);
  if (lead && typeof lead.measured_s === "number") bits.push(`lead ${fmtDuration(lead.measured_s)}`);
  if (b.found_by && b.found_by.owner) bits.push(`found by ${b.found_by.owner}`);
  if (a.escalation_level) bits.push(`escalated ×${a.escalation_level}`);
  if (a.unacked_at) bits.push("recorded unacknowledged");
  return bits.join(" · ");
}

export class AlertList {
  constructor(ul, counter, { party, api, clock, onChange }) {
    this.ul = ul;
    this.counter = counter;
    this.party = party;
    this.api = api;
    this.clock = clock;
    this.onChange = onChange || (() => {});
    this.rows = new Map(); // id -> {alert, li, parts}
    this.viewTime = null;  // null: live
    this.audio = null;
    this.beeps = 0;
  }

  unlockAudio() {
    try { this.audio = this.audio || new AudioContext(); } catch (_) { this.audio = null; }
  }

  beep(severity) {
    this.beeps += 1;
    const ctx = this.audio;
    if (!ctx) return;
    const n = severity === "urgent" ? 3 : 1;
    for (let i = 0; i < n; i++) {
      const o = ctx.createOscillator(), g = ctx.createGain();
      const at = ctx.currentTime + i * 0.22;
      o.frequency.value = severity === "urgent" ? 1040 : 760;
      g.gain.setValueAtTime(0.0001, at);
      g.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
      g.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      o.connect(g).connect(ctx.destination);
      o.start(at); o.stop(at + 0.18);
    }
  }

  /** Add or update alerts; `live` ones that are new and unacknowledged beep and flash. */
  upsert(alerts, { live = false } = {}) {
    let fresh = null;
    for (const a of alerts) {
      const row = this.rows.get(a.id);
      const merged = mergeAlert(row && row.alert, a);
      if (!row) {
        this.create(merged);
        if (live && !merged.ack && merged.party === this.party) {
          this.rows.get(a.id).li.classList.add("fresh");
          if (!fresh || (RANK[merged.severity] || 0) > (RANK[fresh] || 0)) fresh = merged.severity;
        }
      } else {
        row.alert = merged;
        this.paint(row);
      }
    }
    if (fresh) this.beep(fresh);
    this.count();
    this.onChange();
  }

  create(a) {
    const li = document.createElement("li");
    li.className = "alert";
    li.dataset.id = a.id;
    li.innerHTML = `<span class="sev"></span><span class="what"></span>
      <span class="act"><span class="countdown"></span> <button type="button" class="ack">Acknowledge</button></span>
      <span class="detail"></span>`;
    const parts = { sev: li.querySelector(".sev"), what: li.querySelector(".what"),
      countdown: li.querySelector(".countdown"), button: li.querySelector("button.ack"),
      detail: li.querySelector(".detail") };
    const row = { alert: a, li, parts };
    parts.button.addEventListener("click", () => this.acknowledge(row));
    this.rows.set(a.id, row);
    // newest first: before the first row created later than this one
    let before = null;
    for (const other of this.ul.children) {
      const o = this.rows.get(other.dataset.id);
      if (o && o.alert.created_at <= a.created_at) { before = other; break; }
    }
    this.ul.insertBefore(li, before);
    this.paint(row);
  }

  /** The alert as known at the view time (its ack hidden if it came later). */
  asOf(a) {
    if (this.viewTime === null) return a;
    if (a.ack && Date.parse(a.ack.at) > this.viewTime) return { ...a, ack: null };
    return a;
  }

  paint(row) {
    const a = this.asOf(row.alert), p = row.parts;
    const theirs = a.party !== this.party;
    row.li.hidden = this.viewTime !== null && Date.parse(a.created_at) > this.viewTime;
    row.li.classList.toggle("acked", Boolean(a.ack));
    row.li.classList.toggle("theirs", theirs);
    row.li.dataset.severity = a.severity;
    row.li.dataset.acked = a.ack ? "true" : "false";
    p.sev.className = `sev sev-${a.severity}`;
    p.sev.textContent = a.severity;
    p.what.textContent = describe(a);
    p.what.title = JSON.stringify(a.body || {}, null, 1).slice(0, 2000);
    p.detail.textContent = detail(a, this.party);
    p.button.hidden = Boolean(a.ack) || theirs || this.viewTime !== null;
    if (a.ack) {
      p.countdown.className = "countdown ackinfo";
      p.countdown.textContent = `acked ${fmtTime(Date.parse(a.ack.at))} by ${a.ack.by}`;
    } else {
      this.tickRow(row);
    }
  }

  tickRow(row) {
    const a = this.asOf(row.alert), c = row.parts.countdown;
    if (a.ack) return;
    if (!a.deadline_at) { c.textContent = theirsText(a, this.party); return; }
    const now = this.viewTime === null ? this.clock.now() : this.viewTime;
    const left = (Date.parse(a.deadline_at) - now) / 1000;
    c.className = `countdown${left < 0 ? " overdue" : ""}`;
    c.textContent = (left >= 0 ? `ack in ${fmtDuration(left)}` : `overdue ${fmtDuration(-left)}`)
      + theirsText(a, this.party);
  }

  /** Once a second: countdowns of the unacknowledged rows only. */
  tick() {
    for (const row of this.rows.values()) if (!row.alert.ack && !row.li.hidden) this.tickRow(row);
  }

  setViewTime(t) {
    this.viewTime = t;
    for (const row of this.rows.values()) this.paint(row);
    this.count();
  }

  count() {
    let open = 0, shown = 0;
    for (const row of this.rows.values()) {
      if (row.li.hidden) continue;
      shown++;
      if (!this.asOf(row.alert).ack && row.alert.party === this.party) open++;
    }
    this.counter.textContent = `${open} to acknowledge · ${shown} shown`;
  }

  async acknowledge(row) {
    row.parts.button.disabled = true;
    try {
      const receipt = await this.api.post(`/v1/alerts/${encodeURIComponent(row.alert.id)}/ack`);
      row.alert = { ...row.alert, ack: { at: receipt.at, by: receipt.officer, receipt } };
      this.paint(row);
      this.count();
      this.onChange();
    } catch (e) {
      row.parts.countdown.textContent = `ack failed: ${e.message}`;
    } finally {
      row.parts.button.disabled = false;
    }
  }

  alerts() { return [...this.rows.values()].map((r) => r.alert); }
}

function theirsText(a, party) { return a.party !== party ? ` (${a.party} to ack)` : ""; }
