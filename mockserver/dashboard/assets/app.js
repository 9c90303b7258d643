// deskmock's dashboard: loads the state once, then follows the server's
// event stream. Everything from the wire is put in the page as text, never
// as HTML.
"use strict";

const API = document.body.dataset.api;
const TOKEN_REQUIRED = document.body.dataset.token === "required";
const TOKEN_KEY = "deskmock-admin-token";
const MAX_EXCHANGES = 500;
const MAX_STREAMS = 200;

const $ = (sel) => document.querySelector(sel);
const state = { streams: new Map(), exchanges: [], faults: [] };
let token = sessionStorage.getItem(TOKEN_KEY) || "";
let listening = null; // the AbortController of the event stream
let refreshTimers = new Map();
let refreshing = new Set(); // the loads of streams under way
let resetting = false; // the page's own reset is under way

// el builds an element; children are nodes or strings (set as text).
function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") n.className = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    n.append(c instanceof Node ? c : String(c));
  }
  return n;
}

class Unauthorized extends Error {}

function headers(extra) {
  const h = Object.assign({ "X-Deskmock-UI": "1" }, extra || {});
  if (token) h.Authorization = "Bearer " + token;
  return h;
}

// api calls the dashboard's API and returns {status, data}.
async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }), credentials: "same-origin" };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(API + path, init);
  if (r.status === 401) throw new Unauthorized();
  const text = await r.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch (e) { data = { error: text }; } }
  return { status: r.status, data };
}

// ---- token ----

function askToken(message) {
  if (listening) { listening.abort(); listening = null; }
  $("#app").hidden = true;
  $("#reset").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message || "";
  setConn(false, "locked");
  $("#token").focus();
}

$("#login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("#token").value;
  sessionStorage.setItem(TOKEN_KEY, token);
  start();
});

// ---- state ----

async function start() {
  if (TOKEN_REQUIRED && !token) { askToken(); return; }
  try {
    await resync();
  } catch (e) {
    if (e instanceof Unauthorized) { sessionStorage.removeItem(TOKEN_KEY); token = ""; askToken(TOKEN_REQUIRED ? "That token was refused." : "The server refused the request."); return; }
    setConn(false, "unreachable");
    setTimeout(start, 2000);
    return;
  }
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#reset").hidden = false;
  listen();
  // The admin API's plays of the user and the agent journal no exchange:
  // the conversations are looked at again every few seconds too.
  setInterval(() => { if (!$("#app").hidden) reloadConversations(); }, 3000);
}

async function resync() {
  const { status, data } = await api("GET", "/state");
  if (status !== 200) throw new Error("state: " + status);
  state.streams = new Map();
  for (const st of data.streams) state.streams.set(st.msg_key, st);
  state.exchanges = data.exchanges;
  state.faults = data.faults;
  renderStreams();
  renderExchanges();
  renderFaults();
  renderTriggers(data.triggers);
  renderRules(data.rules);
  renderStreamRules(data.endpoints || []);
  $("#config").textContent = JSON.stringify(data.config, null, 2);
  reloadConversations();
  loadCallbacks().catch(() => {});
}

async function reloadFaults() {
  const { data } = await api("GET", "/state");
  state.faults = data.faults;
  renderFaults();
}

// ---- the event stream ----

function setConn(on, text) {
  const c = $("#conn");
  c.textContent = text;
  c.className = "conn " + (on ? "conn-on" : "conn-off");
}

// listen follows the server-sent events through fetch (so that the token
// travels in a header), and reconnects after any end; "hello" on each
// connection reloads the state, so nothing missed in between is lost.
async function listen() {
  if (listening) listening.abort();
  const ctrl = new AbortController();
  listening = ctrl;
  try {
    const r = await fetch(API + "/events", { headers: headers(), signal: ctrl.signal, credentials: "same-origin" });
    if (r.status === 401) { askToken("The token was refused."); return; }
    if (!r.ok || !r.body) throw new Error("events: " + r.status);
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    // The server sends at least a heartbeat every 15 s: a longer silence
    // means a dead connection.
    let heard = Date.now();
    const watchdog = setInterval(() => { if (Date.now() - heard > 40000) ctrl.abort(); }, 5000);
    ctrl.signal.addEventListener("abort", () => clearInterval(watchdog));
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      heard = Date.now();
      buf += value.replace(/\r\n?/g, "\n");
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        await onEvent(block);
      }
    }
  } catch (e) {
    if (ctrl.signal.aborted && listening !== ctrl) return; // replaced, or locked
  }
  if (listening !== ctrl) return;
  ctrl.abort();
  setConn(false, "reconnecting…");
  setTimeout(() => { if (listening === ctrl) listen(); }, 1000);
}

async function onEvent(block) {
  let kind = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const c = line.indexOf(":");
    const field = c < 0 ? line : line.slice(0, c);
    const value = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
    if (field === "event") kind = value;
    else if (field === "data") data += value;
  }
  switch (kind) {
    case "hello":
      setConn(true, "live");
      await resync().catch(() => {});
      break;
    case "exchange":
      onExchange(JSON.parse(data));
      break;
    case "faults":
      await reloadFaults().catch(() => {});
      break;
    case "evicted":
      markEvicted(JSON.parse(data).msg_key);
      break;
    case "callback":
      onCallback(JSON.parse(data));
      break;
    case "reset":
      // The streams are gone: a refresh scheduled before would find none.
      cancelRefreshes();
      await resync().catch(() => {});
      break;
    case "lag": // the server skipped events of a busy moment
      lagged();
      break;
  }
}

// lagged reloads the state, at most once a second while the server is
// busy.
let lagTimer = null;
function lagged() {
  if (lagTimer) return;
  lagTimer = setTimeout(() => { lagTimer = null; resync().catch(() => {}); }, 1000);
}

function onExchange(ex) {
  // An exchange journaled while the state loaded is in both: keep one.
  if (state.exchanges.some((e) => e.seq === ex.seq && e.time === ex.time)) return;
  state.exchanges.unshift(ex);
  if (state.exchanges.length > MAX_EXCHANGES) state.exchanges.length = MAX_EXCHANGES;
  renderExchanges(ex.seq);
  reloadConversations();
  if (ex.applied && ex.msg_key) {
    let st = state.streams.get(ex.msg_key);
    if (!st) {
      st = { msg_key: ex.msg_key, session_id: ex.session_id, conversation: ex.conversation, version: ex.version, chunks: [], text: "", finished: false, calls: 0 };
      state.streams.set(ex.msg_key, st);
      while (state.streams.size > MAX_STREAMS) state.streams.delete(state.streams.keys().next().value);
    }
    st.chunks.push(ex.chunk || "");
    st.text += ex.chunk || "";
    st.calls += 1;
    if (ex.finish) { st.finished = true; if (st.state) st.state = "finished"; }
    renderStreams(ex.msg_key);
    growStreamBubbles(ex.msg_key);
    refreshStream(ex.msg_key);
  }
  if (ex.fault && ex.fault !== "trigger") {
    // The server's fired counts are the truth: a reload scheduled after the
    // rule fired cannot be overtaken by an older one.
    clearTimeout(faultsTimer);
    faultsTimer = setTimeout(() => reloadFaults().catch(() => {}), 50);
  }
}

let faultsTimer;

// markEvicted keeps showing a stream the server let go (its caps or TTL),
// marked as such, until the next reload.
function markEvicted(key) {
  clearTimeout(refreshTimers.get(key)); // there is nothing left to load
  refreshTimers.delete(key);
  const st = state.streams.get(key);
  if (!st) return;
  st.state = "evicted";
  renderStreams();
}

// refreshStream loads a stream as the server holds it (its state, version
// and whatever else the server adds), shortly after its last chunk; a chunk
// that arrives meanwhile schedules the next load.
function refreshStream(key) {
  if (resetting) return; // the reset's resync loads what is left
  clearTimeout(refreshTimers.get(key));
  refreshTimers.set(key, setTimeout(() => {
    refreshTimers.delete(key);
    const load = loadStream(key).finally(() => refreshing.delete(load));
    refreshing.add(load);
  }, 400));
}

async function loadStream(key) {
  try {
    const { status, data } = await api("GET", "/streams/" + encodeURIComponent(key));
    if (status === 200 && data) {
      state.streams.set(key, data);
      renderStreams();
      growStreamBubbles(key);
    } else if (status === 404) {
      markEvicted(key);
    }
  } catch (e) { /* the next event or resync corrects it */ }
}

// cancelRefreshes forgets the loads of streams scheduled, and returns once
// those under way are answered.
function cancelRefreshes() {
  for (const t of refreshTimers.values()) clearTimeout(t);
  refreshTimers.clear();
  return Promise.allSettled([...refreshing]);
}

// ---- streams ----

function streamState(st) {
  return st.state || (st.finished ? "finished" : "open");
}

function renderStreams(freshKey) {
  const box = $("#streams");
  const list = [...state.streams.values()].reverse();
  $("#stream-count").textContent = list.length ? "(" + list.length + ")" : "";
  if (!list.length) { box.replaceChildren(el("p", { class: "empty" }, "No stream yet. Send a first chunk to the endpoint.")); return; }
  const showChunks = $("#show-chunks").checked;
  box.replaceChildren(...list.map((st) => {
    const s = streamState(st);
    const cls = "state-" + s.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
    const text = el("div", { class: "stream-text" + (showChunks ? " chunks" : "") });
    const chunks = st.chunks || [st.text];
    chunks.forEach((c, i) => {
      const fresh = st.msg_key === freshKey && i === chunks.length - 1;
      text.append(el("span", { class: "chunk" + (fresh ? " fresh" : ""), title: "chunk " + (i + 1) }, c));
    });
    return el("article", { class: "stream " + cls, "data-msg-key": st.msg_key },
      el("div", { class: "stream-head" },
        el("span", { class: "state " + cls }, s),
        el("span", {}, "MsgKey ", el("span", { class: "mono" }, st.msg_key)),
        el("span", {}, "conversation ", el("span", { class: "mono" }, conversationOf(st))),
        st.version !== undefined ? el("span", {}, "endpoint ", el("span", { class: "mono" }, st.version)) : null,
        el("span", { class: "calls" }, st.calls + (st.calls === 1 ? " call" : " calls"))),
      text,
      st.chatbot_message ? el("div", { class: "client-message", title: JSON.stringify(st.chatbot_message) },
        "the user's client shows a custom message: chatbotPlugin " + st.chatbot_message.chatbotPlugin +
        ", src " + st.chatbot_message.src + ", " + st.chatbot_message.chunks.length + " chunks, isFinished " + st.chatbot_message.isFinished) : null);
  }));
}

$("#show-chunks").addEventListener("change", () => renderStreams());

// ---- exchanges ----

// codeClass picks the colour of an ErrorCode (or of an HTTP status when
// the reply was not the vendor's envelope).
function codeClass(ex) {
  if (ex.status !== 200 && ex.code === 0) return "code-http";
  const c = ex.code;
  if (c === 0) return "code-ok";
  if (c >= 141000 && c < 142000) return "code-desk";
  if (c >= 70000 && c < 80000 || c === 20002) return "code-id";
  if (c >= 90000 && c < 100000) return "code-body";
  return "code-req";
}

function codeText(ex) {
  if (ex.status === 0) return "dropped";
  if (ex.status !== 200 && ex.code === 0) return "HTTP " + ex.status;
  return String(ex.code);
}

// endpointOf names the endpoint of an exchange: its version, or the last
// part of a path that is no endpoint.
function endpointOf(ex) {
  if (ex.version) return ex.version;
  const parts = (ex.path || "").split("/");
  return parts[parts.length - 1] || ex.path || "";
}

// shortID shows the end of a long ID, the part that tells IDs apart
// (trigger session IDs share their first 19 characters); the whole ID is
// the cell's title.
const SHORT_ID = 17;
function shortID(id) {
  return id.length > SHORT_ID + 1 ? "…" + id.slice(-SHORT_ID) : id;
}

// conversationOf names what a stream or exchange belongs to: a Desk
// SessionId, "c2c:FROM:TO" or "group:GROUP:FROM".
function conversationOf(x) {
  return x.conversation || x.session_id || "";
}

function matchesFilters(ex) {
  const f = (id) => $(id).value.trim().toLowerCase();
  const session = f("#f-session"), code = f("#f-code"), check = f("#f-check"), path = f("#f-path");
  return (!session || conversationOf(ex).toLowerCase().includes(session)) &&
    (!code || codeText(ex).toLowerCase() === code || String(ex.code) === code) &&
    (!check || (ex.check || "").toLowerCase().includes(check)) &&
    (!path || (ex.path || "").toLowerCase().includes(path) || endpointOf(ex).toLowerCase() === path);
}

function renderExchanges(freshSeq) {
  const rows = state.exchanges.filter(matchesFilters);
  $("#exchange-count").textContent = "(" + rows.length + (rows.length !== state.exchanges.length ? " of " + state.exchanges.length : "") + ")";
  $("#exchanges tbody").replaceChildren(...rows.map((ex) =>
    el("tr", { class: ex.seq === freshSeq ? "fresh" : null, "data-seq": ex.seq, onclick: () => showExchange(ex) },
      el("td", {}, ex.seq),
      el("td", { class: "mono" }, new Date(ex.time).toLocaleTimeString("en-GB")),
      el("td", {}, el("span", { class: "code " + codeClass(ex) }, codeText(ex))),
      el("td", { class: "mono endpoint", title: ex.method + " " + ex.path }, endpointOf(ex)),
      el("td", { class: "mono sid", title: conversationOf(ex) }, shortID(conversationOf(ex))),
      el("td", { class: "mono", title: ex.chunk || "" }, ex.chunk || ""),
      el("td", { class: "check", title: ex.check || "" }, ex.check || ""),
      el("td", { title: ex.action || "" }, ex.fault || ""),
      el("td", {}, ex.latency_ms.toFixed(1)))));
}

for (const id of ["#f-session", "#f-code", "#f-check", "#f-path"]) $(id).addEventListener("input", () => renderExchanges());
$("#filters").addEventListener("submit", (e) => e.preventDefault());

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
}

function showExchange(ex) {
  $("#detail-title").textContent = "Exchange #" + ex.seq;
  const rows = [
    ["request", ex.method + " " + ex.path],
    ["time", ex.time],
    ["query", el("pre", { class: "wire", id: "detail-query" }, ex.query)],
    ["body", el("pre", { class: "wire" }, pretty(ex.body) + (ex.truncated ? "\n… (" + ex.body_size + " bytes in all)" : ""))],
    ["status", ex.status === 0 ? "0 (connection dropped, no reply)" : ex.status],
    ["reply", el("pre", { class: "wire" }, pretty(ex.reply))],
    ["code", el("span", { class: "code " + codeClass(ex) }, codeText(ex))],
    ["check", ex.check || "(every check passed)"],
    ["detail", detailOf(ex)],
    ["conversation", el("span", { class: "mono" }, conversationOf(ex))],
    ["MsgKey", el("span", { class: "mono" }, ex.msg_key || "")],
    ["applied", ex.applied ? "yes: the chunk joined its stream" : "no"],
    ["fault", ex.fault ? ex.fault + " (" + ex.action + ")" : "none"],
    ["timings", "arrived " + ex.time + ", answered in " + ex.latency_ms.toFixed(3) + " ms"],
  ];
  $("#detail-body").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("#detail").showModal();
}

// detailOf says why the answer was what it was: the exchange's own detail
// when the server records one, else the check's rule from the check → code
// table.
function detailOf(ex) {
  if (ex.detail) return ex.detail;
  if (!ex.check) return ex.fault ? "a fault rule answered" : "accepted";
  const r = (state.rules || []).find((r) => r.check === ex.check);
  return r ? r.when + " → " + r.code + " " + r.info : ex.check;
}

// ---- faults ----

function summary(obj) {
  const parts = Object.entries(obj || {}).filter(([, v]) => v !== "" && v !== null && v !== undefined).map(([k, v]) => k + "=" + JSON.stringify(v));
  return parts.length ? parts.join(" ") : "every request";
}

function renderFaults() {
  const body = $("#faults tbody");
  if (!state.faults.length) { body.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "empty" }, "No fault rule: every request gets the normal answer."))); return; }
  body.replaceChildren(...state.faults.map((f) =>
    el("tr", { "data-id": f.id },
      el("td", { class: "mono" }, f.id),
      el("td", { class: "mono" }, summary(f.match)),
      el("td", { class: "mono" }, summary(f.action)),
      el("td", {}, f.times || "∞"),
      el("td", {}, f.probability === undefined ? "1" : f.probability),
      el("td", { class: "fired" }, f.fired),
      el("td", {}, el("button", { type: "button", class: "small danger", onclick: () => removeFault(f.id) }, "Remove")))));
}

async function removeFault(id) {
  try {
    await api("DELETE", "/faults/" + encodeURIComponent(id));
    await reloadFaults();
  } catch (e) { if (e instanceof Unauthorized) askToken("The token was refused."); }
}

// faultOf reads the form into the admin API's Fault: empty fields are left
// out, numbers and booleans typed.
function faultOf(form) {
  const f = { match: {}, action: {} };
  for (const input of form.elements) {
    if (!input.name) continue;
    const path = input.name.split(".");
    let v;
    if (input.type === "checkbox") { if (!input.checked) continue; v = true; }
    else if (input.value.trim() === "") continue;
    else if (input.tagName === "SELECT" && (input.value === "true" || input.value === "false")) v = input.value === "true";
    else if (input.type === "number") v = Number(input.value);
    else v = input.value;
    if (path.length === 2) f[path[0]][path[1]] = v; else f[path[0]] = v;
  }
  return f;
}

$("#fault-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const err = $("#fault-error");
  err.textContent = "";
  try {
    const { status, data } = await api("POST", "/faults", faultOf(e.target));
    if (status !== 201) { err.textContent = (data && data.error) || "refused (" + status + ")"; return; }
    e.target.reset();
    await reloadFaults();
  } catch (x) {
    if (x instanceof Unauthorized) askToken("The token was refused.");
    else err.textContent = String(x);
  }
});

// ---- tables ----

function copyButton(text) {
  return el("button", { type: "button", class: "small ghost", onclick: async (e) => {
    const b = e.currentTarget;
    try { await navigator.clipboard.writeText(text); b.textContent = "copied"; }
    catch (x) { getSelection().selectAllChildren(b.parentElement.previousElementSibling.previousElementSibling); b.textContent = "selected"; }
    setTimeout(() => { b.textContent = "copy"; }, 1200);
  } }, "copy");
}

function renderTriggers(triggers) {
  $("#triggers tbody").replaceChildren(...triggers.map((t) =>
    el("tr", {},
      el("td", {}, el("span", { class: "code " + codeClass({ code: t.code, status: 200 }) }, t.code)),
      el("td", { class: "mono" }, t.session_id),
      el("td", {}, t.info),
      el("td", {}, copyButton(t.session_id)))));
}

function renderRules(rules) {
  state.rules = rules;
  $("#rules tbody").replaceChildren(...rules.map((r) =>
    el("tr", {},
      el("td", { class: "mono" }, r.check),
      el("td", {}, el("span", { class: "code " + codeClass({ code: r.code, status: 200 }) }, r.code)),
      el("td", { class: "doc " + (r.documented ? "doc-yes" : "doc-no") }, r.documented ? "✔ documented" : "~ inferred"),
      el("td", {}, r.when))));
}

// ruleText words one stream rule as the configuration's endpoints section
// sets it.
function ruleText(name, v) {
  switch (name) {
    case "idle_timeout": return v === "off" ? "off" : v;
    case "refuse_after_end": return v ? "yes" : "no";
    case "calls_per_second": return v ? String(v) : "no limit";
    case "max_message_bytes": return v ? v + " bytes" : "no rule";
    case "app_calls_per_second": return v ? String(v) : "no limit";
  }
  return String(v);
}

// renderEndpointChoices offers the endpoints in the fault form's match.
function renderEndpointChoices(endpoints) {
  const sel = $("#fault-form select[name='match.endpoint']");
  const chosen = sel.value;
  sel.replaceChildren(el("option", { value: "" }, "any"), ...endpoints.map((ep) => el("option", { value: ep.version }, ep.version)));
  sel.value = chosen;
}

function renderStreamRules(endpoints) {
  renderEndpointChoices(endpoints);
  const names = ["idle_timeout", "refuse_after_end", "calls_per_second", "max_message_bytes", "app_calls_per_second"];
  $("#stream-rules tbody").replaceChildren(...endpoints.map((ep) =>
    el("tr", { "data-version": ep.version },
      el("td", { class: "mono" }, ep.version + " " + ep.name),
      el("td", { class: "mono" }, ep.path),
      ...names.map((n) => el("td", { "data-rule": n },
        ep.streams || n === "app_calls_per_second" ? ruleText(n, (ep.rules || {})[n]) : "—")))));
}

// ---- Desk conversations ----

let conversationsTimer;

// reloadConversations loads the Desk sessions with a life, soon: once for
// a burst of exchanges.
function reloadConversations() {
  clearTimeout(conversationsTimer);
  conversationsTimer = setTimeout(async () => {
    try {
      const { status, data } = await api("GET", "/conversations");
      if (status === 200 && data) renderConversations(data.conversations || []);
    } catch (e) { if (e instanceof Unauthorized) askToken("The token was refused."); }
  }, 150);
}

// sessionAction plays the user or the agent of a session, then reloads.
async function sessionAction(id, action, body) {
  try {
    const { status, data } = await api("POST", "/sessions/" + encodeURIComponent(id) + "/" + action, body || {});
    if (status !== 200) alert((data && data.error) || action + " refused (" + status + ")");
  } catch (e) { if (e instanceof Unauthorized) askToken("The token was refused."); }
  reloadConversations();
}

const STARS = "★★★★★";

// itemLine renders one line of a conversation: a bubble for a message (the
// user's on the left; the bot's and the agent's on the right; a stream's
// text so far, grown in place as its chunks arrive), a note between them
// for a system message or a change of state; under a message or beside an
// event, the callback that reported it to the bot.
function itemLine(it) {
  const cbs = (it.callbacks || []).map(callbackNote);
  if (it.kind === "event") {
    let what = it.event;
    if (it.agent_id) what += " · " + it.agent_id;
    if (it.stars) what += " · " + STARS.slice(0, it.stars);
    return el("div", { class: "line event" }, el("span", { class: "mono" }, what), ...cbs);
  }
  if (it.kind === "system") {
    return el("div", { class: "line system", title: "system message " + it.system },
      el("span", { class: "kind mono" }, it.system), el("span", { class: "text" }, it.text));
  }
  let text = it.text || "";
  const live = it.stream && state.streams.get(it.stream);
  if (live && live.text && live.text.length > text.length) text = live.text;
  return el("div", { class: "bubble " + it.kind + (it.stream ? " streamed" : ""), "data-stream": it.stream || null },
    el("span", { class: "from" }, it.kind + (it.from ? " · " + it.from : "")),
    el("span", { class: "text" }, text), ...cbs);
}

// latencyText writes a latency in ms: tenths below 10 ms.
function latencyText(ms) {
  return (ms < 10 ? ms.toFixed(1) : Math.round(ms)) + " ms";
}

// callbackNote shows one delivery of the callback that reported a line to
// the bot: its outcome, the last attempt's answer and latency, how many
// attempts, the fault; its RequestID and the rest on hover.
function callbackNote(cb) {
  const parts = [(cb.delivery ? "again " : "callback ") + cb.outcome];
  if (cb.outcome === "dropped") parts.push("queue full, never sent");
  else if (cb.status) parts.push(String(cb.status), latencyText(cb.latency_ms));
  else if (cb.error) parts.push("no answer");
  if (cb.attempts > 1) parts.push(cb.attempts + " attempts");
  if (cb.faults && cb.faults.length) parts.push("fault " + cb.faults.map(faultName).join(" "));
  const title = ["RequestID " + cb.request_id, "Desk.SessionEventNotify " + cb.event, "callback #" + cb.seq];
  if (cb.faults && cb.faults.length) title.push("fault " + cb.faults.join(" "));
  if (cb.sign) title.push("Sign " + cb.sign);
  if (cb.error) title.push(cb.error);
  // Each part wraps whole.
  const shown = parts.flatMap((p, i) => [i ? " · " : null, el("span", {}, p)]);
  return el("span", { class: "cb cb-" + cb.outcome, title: title.join("\n"), "data-request-id": cb.request_id }, ...shown);
}

// faultName shortens the fault of a trigger account
// ("trigger:trigger-callback-bad-sign" is "bad-sign (trigger)"); a rule's
// ("f1:twice") stays.
function faultName(f) {
  const m = /^trigger:trigger-callback-(.*)$/.exec(f);
  return m ? m[1] + " (trigger)" : f;
}

// callbackSummary counts a conversation's callbacks by outcome: "callbacks:
// 7 ok, 1 failed".
function callbackSummary(n) {
  const parts = ["ok", "refused", "failed", "dropped"].filter((k) => n[k]).map((k) => n[k] + " " + k);
  const worst = n.failed || n.dropped ? "bad" : n.refused ? "warn" : "good";
  const title = "the deliveries of Desk.SessionEventNotify for this session" +
    (n.unmatched ? "; " + n.unmatched + " of them for events no longer shown" : "");
  return el("span", { class: "cb-summary cb-" + worst, title }, "callbacks: " + (parts.length ? parts.join(", ") : "none yet"));
}

// growStreamBubbles puts a stream's text so far into the bubbles that show
// it, without waiting for the next load of the conversations.
function growStreamBubbles(key) {
  const st = state.streams.get(key);
  if (!st) return;
  for (const b of document.querySelectorAll("#conversations .bubble[data-stream]")) {
    if (b.dataset.stream === key) b.querySelector(".text").textContent = st.text;
  }
}

// conversationActions are the buttons a session's state allows: say as
// the user or the agent, transfer, accept, end, rate, user silent.
function conversationActions(c, say, stars) {
  const s = c.current_state;
  const act = (action, body) => () => sessionAction(c.session_id, action, typeof body === "function" ? body() : body);
  const text = () => {
    const t = say.value;
    say.value = "";
    return { text: t };
  };
  const button = (action, label, body, cls) => el("button", { type: "button", class: "small " + (cls || ""), "data-action": action, onclick: act(action, body) }, label);
  const active = s !== "NotInSession";
  const rateable = !c.satisfaction && (s === "Agent" || (s === "NotInSession" && c.end_status));
  return el("div", { class: "conversation-actions" },
    active ? say : null,
    active ? button("user-message", "user says", text) : null,
    s === "Agent" ? button("agent-message", "agent says", text) : null,
    s === "Chatbot" ? button("transfer", "transfer to a human", {}) : null,
    s === "WaitingForAgentAnswering" || s === "Queueing" ? button("accept", "agent accepts", {}) : null,
    s === "Agent" ? button("agent-end", "agent ends", {}, "danger") : null,
    active ? button("user-silent", "user goes silent", {}, "ghost") : null,
    rateable ? stars : null,
    rateable ? button("rate", "user rates", () => ({ stars: Number(stars.value) })) : null);
}

function renderConversations(list) {
  const box = $("#conversations");
  $("#conversation-count").textContent = list.length ? "(" + list.length + ")" : "";
  if (!list.length) { box.replaceChildren(el("p", { class: "empty" }, "No Desk session has a life yet: begin one for a user here (or POST /__admin/sessions/{id}/begin), or transfer one.")); return; }
  // What is being typed survives a reload: each card keeps its input.
  const inputs = new Map();
  for (const a of box.querySelectorAll(".conversation")) inputs.set(a.dataset.session, a.querySelector("input.say"));
  const focused = document.activeElement;
  box.replaceChildren(...list.map((c) => {
    const say = inputs.get(c.session_id) || el("input", { class: "say", placeholder: "say something", "aria-label": "text to say" });
    const stars = el("select", { class: "stars", "aria-label": "stars" }, ...[5, 4, 3, 2, 1].map((n) => el("option", { value: n }, STARS.slice(0, n))));
    const state = c.current_state;
    const lines = el("div", { class: "timeline" }, ...c.messages.map(itemLine));
    const card = el("article", { class: "conversation", "data-session": c.session_id },
      el("div", { class: "conversation-head" },
        el("span", { class: "state state-" + state.toLowerCase() }, state),
        el("span", { class: "mono", title: c.session_id }, shortID(c.session_id)),
        c.client_user_id ? el("span", {}, "user ", el("span", { class: "mono" }, c.client_user_id)) : null,
        c.agent_id ? el("span", {}, "agent ", el("span", { class: "mono" }, c.agent_id)) : null,
        c.queue_position ? el("span", {}, "queue #" + c.queue_position) : null,
        c.end_status ? el("span", {}, "ended ", el("span", { class: "mono" }, c.end_status)) : null,
        c.satisfaction ? el("span", { class: "rated", title: c.satisfaction + " stars" }, STARS.slice(0, c.satisfaction)) : null,
        c.callbacks ? callbackSummary(c.callbacks) : null),
      lines,
      conversationActions(c, say, stars));
    return card;
  }));
  for (const t of box.querySelectorAll(".timeline")) t.scrollTop = t.scrollHeight;
  if (focused && focused.classList && focused.classList.contains("say") && focused.isConnected) focused.focus();
}

// newSessionID returns a random UUID (version 4), the form of a SessionId.
function newSessionID() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

// The begin form starts a session for a user, in the bot's phase.
$("#begin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const user = $("#begin-user");
  await sessionAction(newSessionID(), "begin", { client_user_id: user.value.trim(), channel_type: "SDK" });
  user.value = "";
});

// ---- reset ----

$("#reset").addEventListener("click", async () => {
  if (!confirm("Reset the server: forget every stream, the journal and session changes, and restore the configured fault rules?")) return;
  // No load of a stream may reach the server after its reset (it would
  // find none, a 404): those scheduled are dropped, those under way
  // answered first, and none is scheduled until the state is loaded again.
  resetting = true;
  try { await cancelRefreshes(); await api("POST", "/reset", {}); await resync(); }
  catch (e) { if (e instanceof Unauthorized) askToken("The token was refused."); }
  finally { resetting = false; }
});

start();
