// deskmock's dashboard: the callbacks sent to the bot, newest first, as
// the event stream reports them ("callback" events) and as loaded with the
// state. Everything from the wire is put in the page as text.
"use strict";

const MAX_CALLBACKS = 200;
let callbacks = [];

// loadCallbacks loads the newest callbacks the server journaled.
async function loadCallbacks() {
  const { status, data } = await api("GET", "/callbacks");
  if (status !== 200 || !data) return;
  callbacks = (data.callbacks || []).slice().reverse();
  renderCallbacks();
}

// onCallback shows a callback the server just journaled: in the list, and
// on the line of its Desk conversation.
function onCallback(cb) {
  callbacks.unshift(cb);
  if (callbacks.length > MAX_CALLBACKS) callbacks.length = MAX_CALLBACKS;
  renderCallbacks();
  if (cb.session_id) reloadConversations();
}

function renderCallbacks() {
  $("#callback-count").textContent = callbacks.length ? "(" + callbacks.length + ")" : "";
  const body = $("#callbacks tbody");
  if (!callbacks.length) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No callback yet: give serve --callback-url, or PUT /__admin/callbacks.")));
    return;
  }
  body.replaceChildren(...callbacks.map((cb) => {
    const attempts = cb.attempts || [];
    const last = attempts[attempts.length - 1] || {};
    return el("tr", { class: "callback-" + cb.outcome, title: cb.url },
      el("td", { class: "mono" }, cb.seq + (cb.delivery ? " (again)" : "")),
      el("td", { class: "mono" }, (cb.queued || "").slice(11, 23)),
      el("td", { class: "mono" }, cb.event || cb.command),
      el("td", { class: "mono", title: cb.conversation }, cb.conversation),
      el("td", {}, cb.outcome),
      el("td", {}, attempts.length),
      el("td", {}, last.status ? last.status + " in " + last.latency_ms + " ms" : (last.error || "")),
      el("td", { class: "mono" }, (cb.faults || []).join(" ")));
  }));
}
