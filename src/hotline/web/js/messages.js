// The message pane: the conversation with the other parties (received and sent, oldest
// first), Acknowledge on received messages, the ack state of sent ones, Reply, and the
// compose form — free text, or a template whose form is built from GET /v1/templates (typed
// inputs: text, number with its bounds, RFC 3339 time, position lat/lng). Sending carries an
// Idempotency-Key, so a retry after a lost answer never sends twice.

import { fmtDuration, fmtTime } from "./clock.js";

export class MessagePane {
  constructor(root, { party, api, clock, onChange }) {
    this.party = party;
    this.api = api;
    this.clock = clock;
    this.onChange = onChange || (() => {});
    this.ul = root.querySelector("#messages");
    this.counter = root.querySelector("#message-count");
    this.form = root.querySelector("#compose");
    this.to = root.querySelector("#to");
    this.parties = root.querySelector("#parties");
    this.select = root.querySelector("#template");
    this.fields = root.querySelector("#fields");
    this.text = root.querySelector("#text");
    this.status = root.querySelector("#compose-status");
    this.reply = root.querySelector("#reply");
    this.replyTo = root.querySelector("#reply-to");
    this.rows = new Map();
    this.templates = new Map();
    this.inReplyTo = null;
    this.viewTime = null;
    this.known = new Set();
    this.pendingKey = null;
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.send(); });
    this.select.addEventListener("change", () => this.buildFields());
    root.querySelector("#reply-cancel").addEventListener("click", () => this.setReply(null));
    this.form.addEventListener("input", () => { this.pendingKey = null; });
  }

  setTemplates(items) {
    for (const t of items) {
      this.templates.set(t.name, t);
      const o = document.createElement("option");
      o.value = t.name;
      o.textContent = t.title || t.name;
      o.title = t.description || "";
      this.select.appendChild(o);
    }
  }

  addParties(names) {
    for (const n of names) {
      if (!n || n === this.party || this.known.has(n)) continue;
      this.known.add(n);
      const o = document.createElement("option");
      o.value = n;
      this.parties.appendChild(o);
      if (!this.to.value) this.to.value = n;
    }
  }

  buildFields() {
    this.fields.replaceChildren();
    const t = this.templates.get(this.select.value);
    this.text.hidden = Boolean(t);
    this.text.required = !t;
    if (!t) return;
    for (const f of t.fields) {
      const label = document.createElement("label");
      label.textContent = f.name + (f.required ? " *" : "");
      label.title = f.description || "";
      let input;
      if (f.type === "position") {
        input = document.createElement("span");
        input.className = "pos";
        for (const part of ["lat", "lng"]) {
          const i = document.createElement("input");
          i.type = "number"; i.step = "any"; i.placeholder = part; i.dataset.part = part;
          i.min = part === "lat" ? -90 : -180; i.max = part === "lat" ? 90 : 180;
          i.required = f.required;
          input.appendChild(i);
        }
      } else {
        input = document.createElement("input");
        if (f.type === "number") {
          input.type = "number";
          input.step = f.integer ? "1" : "any";
          if (isFinite(f.minimum)) input.min = f.minimum;
          if (isFinite(f.maximum)) input.max = f.maximum;
        } else if (f.type === "time") {
          input.placeholder = "2026-11-24T20:00:00Z";
          input.value = new Date(this.clock.now() + 15 * 60000).toISOString().slice(0, 17) + "00Z";
        } else {
          input.maxLength = f.max_length || 200;
        }
        input.required = f.required;
      }
      input.dataset.field = f.name;
      input.dataset.type = f.type;
      input.title = f.description || "";
      this.fields.append(label, input);
    }
  }

  collect() {
    const out = {};
    for (const el of this.fields.querySelectorAll("[data-field]")) {
      const name = el.dataset.field, type = el.dataset.type;
      if (type === "position") {
        const [lat, lng] = [...el.querySelectorAll("input")].map((i) => i.value.trim());
        if (lat === "" && lng === "") continue;
        out[name] = { lat: Number(lat), lng: Number(lng) };
      } else {
        const v = el.value.trim();
        if (v === "") continue;
        out[name] = type === "number" ? Number(v) : v;
      }
    }
    return out;
  }

  setReply(m) {
    this.inReplyTo = m ? m.id : null;
    this.reply.hidden = !m;
    if (m) {
      this.replyTo.textContent = `${m.from}: ${summary(m).slice(0, 60)}`;
      this.to.value = m.from === this.party ? m.to : m.from;
      this.text.focus();
    }
    this.pendingKey = null;
  }

  async send() {
    const t = this.templates.get(this.select.value);
    const body = { to: this.to.value.trim() };
    if (t) { body.template = t.name; body.fields = this.collect(); } else body.text = this.text.value;
    if (this.inReplyTo) body.in_reply_to = this.inReplyTo;
    this.pendingKey = this.pendingKey || crypto.randomUUID();
    this.status.className = "muted";
    this.status.textContent = "sending…";
    try {
      const m = await this.api.post("/v1/messages", body, { "Idempotency-Key": this.pendingKey });
      this.pendingKey = null;
      this.upsert([m]);
      this.text.value = "";
      this.setReply(null);
      if (t) this.buildFields();
      this.status.textContent = `sent ${fmtTime(Date.parse(m.created_at))}`;
    } catch (e) {
      this.status.className = "error";
      this.status.textContent = e.message;
    }
  }

  upsert(messages) {
    let added = false;
    for (const m of messages) {
      const row = this.rows.get(m.id);
      if (row) {
        row.m = { ...row.m, ...m, ack: m.ack || row.m.ack,
                  escalation_level: Math.max(row.m.escalation_level || 0, m.escalation_level || 0) };
        this.paint(row);
      } else {
        this.create(m);
        added = true;
      }
      this.addParties([m.from, m.to]);
    }
    if (added) this.ul.scrollTop = this.ul.scrollHeight;
    this.count();
    this.onChange();
  }

  create(m) {
    const li = document.createElement("li");
    const out = m.from === this.party;
    li.className = `msg ${out ? "out" : "in"}`;
    li.dataset.id = m.id;
    li.innerHTML = `<div class="head"><span class="who"></span><span class="when"></span>
      <span class="acts"><span class="state"></span><button type="button" class="ack">Acknowledge</button>
      <button type="button" class="reply link">Reply</button></span></div><div class="body"></div>`;
    const row = { m, li, state: li.querySelector(".state"), ack: li.querySelector("button.ack") };
    li.querySelector(".who").textContent = out ? `to ${m.to}` : `from ${m.from} (${m.officer})`;
    li.querySelector(".when").textContent = fmtTime(Date.parse(m.created_at));
    fillBody(li.querySelector(".body"), m, this.templates);
    row.ack.addEventListener("click", () => this.acknowledge(row));
    li.querySelector("button.reply").addEventListener("click", () => this.setReply(row.m));
    this.rows.set(m.id, row);
    let before = null;
    for (const other of this.ul.children) {
      const o = this.rows.get(other.dataset.id);
      if (o && o.m.created_at > m.created_at) { before = other; break; }
    }
    this.ul.insertBefore(li, before);
    this.paint(row);
  }

  paint(row) {
    const m = row.m, out = m.from === this.party;
    const ack = m.ack && (this.viewTime === null || Date.parse(m.ack.at) <= this.viewTime) ? m.ack : null;
    row.li.hidden = this.viewTime !== null && Date.parse(m.created_at) > this.viewTime;
    row.li.dataset.acked = ack ? "true" : "false";
    row.ack.hidden = out || Boolean(ack) || this.viewTime !== null;
    if (ack) {
      row.state.className = "state ackinfo";
      row.state.textContent = `acked ${fmtTime(Date.parse(ack.at))} by ${ack.by}`;
    } else if (m.deadline_at) {
      const now = this.viewTime === null ? this.clock.now() : this.viewTime;
      const left = (Date.parse(m.deadline_at) - now) / 1000;
      row.state.className = `state countdown${left < 0 ? " overdue" : ""}`;
      row.state.textContent = left >= 0 ? `ack in ${fmtDuration(left)}` : `overdue ${fmtDuration(-left)}`;
    } else {
      row.state.textContent = out ? "not yet acked" : "";
    }
  }

  tick() { for (const row of this.rows.values()) if (!row.m.ack && !row.li.hidden) this.paint(row); }

  setViewTime(t) {
    this.viewTime = t;
    for (const row of this.rows.values()) this.paint(row);
    this.count();
  }

  count() {
    let open = 0;
    for (const row of this.rows.values()) if (!row.m.ack && row.m.to === this.party) open++;
    this.counter.textContent = `${open} to acknowledge · ${this.rows.size} in all`;
  }

  async acknowledge(row) {
    row.ack.disabled = true;
    try {
      const receipt = await this.api.post(`/v1/messages/${encodeURIComponent(row.m.id)}/ack`);
      row.m = { ...row.m, ack: { at: receipt.at, by: receipt.officer, receipt } };
      this.paint(row);
      this.count();
    } catch (e) {
      row.state.textContent = `ack failed: ${e.message}`;
    } finally {
      row.ack.disabled = false;
    }
  }

  /** Ids of sent messages still waiting for the recipient's ack. */
  waiting() { return [...this.rows.values()].some((r) => r.m.from === this.party && !r.m.ack); }
}

function summary(m) {
  const b = m.body || {};
  return b.text !== undefined ? b.text : `${b.template}: ${JSON.stringify(b.fields || {})}`;
}

function fillBody(div, m, templates) {
  const b = m.body || {};
  if (m.in_reply_to) {
    const r = document.createElement("div");
    r.className = "muted";
    r.textContent = `reply to ${m.in_reply_to}`;
    div.append(r);
  }
  if (b.text !== undefined) { div.append(b.text); return; }
  const t = templates.get(b.template);
  const title = document.createElement("b");
  title.textContent = t ? t.title : b.template;
  const dl = document.createElement("dl");
  dl.className = "fields";
  for (const [k, v] of Object.entries(b.fields || {})) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k;
    dd.textContent = typeof v === "object" && v !== null && "lat" in v ? `${v.lat}, ${v.lng}` : String(v);
    dl.append(dt, dd);
  }
  div.append(title, dl);
}
