// postmock dashboard: every change goes to the JSON admin API (the same one scripts use);
// pages are rendered on the server. The session cookie authenticates these calls.
"use strict";

function showError(message) {
  const box = document.getElementById("alert");
  box.textContent = message;
  box.hidden = false;
  box.focus && box.scrollIntoView({ block: "nearest" });
}

async function api(method, url, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) {
    const message = data && data.error ? data.error.message : `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return data;
}

function value(form, name) {
  const el = form.elements[name];
  return el ? String(el.value).trim() : "";
}

function checked(form, name) {
  const el = form.elements[name];
  return Boolean(el && el.checked);
}

function radio(form, name) {
  const el = form.querySelector(`input[name="${name}"]:checked`);
  return el ? el.value : "";
}

function mockSettings(form) {
  const delay = radio(form, "delay");
  let delayConfig = null;
  if (delay === "1" || delay === "2") delayConfig = { type: "fixed", preset: delay };
  if (delay === "custom") delayConfig = { type: "fixed", duration: Number(value(form, "delay_ms") || 0) };
  const headers = value(form, "headers").split(",").map((h) => h.trim()).filter(Boolean);
  return {
    name: value(form, "name") || null,
    environment: value(form, "environment") || null,
    private: checked(form, "private"),
    config: { delay: delayConfig, matchBody: checked(form, "match_body"), headers,
              matchHeader: headers.length > 0, onMiss: value(form, "on_miss") || "error" },
  };
}

function headerLines(text) {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf(":");
    if (at < 1) throw new Error(`header line "${line}" must look like Name: value`);
    return { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
  });
}

// Each form's JSON, the API call it makes and where the page goes afterwards.
const forms = {
  async "mock-create"(form) {
    const source = radio(form, "source");
    const settings = mockSettings(form);
    const mock = { ...settings, saveUrlToEnvironment: value(form, "save_url") || null };
    let made;
    if (source === "collection") {
      mock.collection = value(form, "collection");
      if (!mock.collection) throw new Error("choose a collection");
      made = await api("POST", "/mocks", { mock });
    } else {
      const history = source === "date"
        ? { date: value(form, "date") }
        : { ids: value(form, "ids").split(",").map((s) => Number(s.trim())).filter((n) => n > 0) };
      if (source === "date" && !history.date) throw new Error("choose a date");
      if (source === "history" && !history.ids.length) throw new Error("give at least one history ID");
      const collectionName = value(form, "collection_name");
      if (!collectionName) throw new Error("give the new collection a name");
      mock.collection = "";
      made = await api("POST", "/mocks/from-history", { collectionName, history, mock });
    }
    location.assign(`/ui/mocks/${made.mock.id}`);
  },
  async "mock-edit"(form) {
    const settings = mockSettings(form);
    await api("PUT", form.dataset.url, { mock: settings });
    location.reload();
  },
  async "sr-add"(form) {
    const body = value(form, "body");
    let language = "text";
    try { JSON.parse(body); language = "json"; } catch (e) { language = "text"; }
    await api("POST", form.dataset.url, { serverResponse: {
      name: value(form, "name"), statusCode: Number(value(form, "status")), body, language,
      active: checked(form, "active") } });
    location.reload();
  },
  async "example-edit"(form) {
    const example = { code: Number(value(form, "code")), name: value(form, "name"),
                      header: headerLines(form.elements.headers.value) };
    // An untouched reason follows the status code (204 -> No Content); a typed one is kept.
    if (form.elements.status.value !== form.elements.status.defaultValue) example.status = value(form, "status");
    if (form.elements.body) example.body = form.elements.body.value;
    await api("PUT", form.dataset.url, { example });
    document.getElementById("saved").textContent = "Saved. Mocks answer with it from their next call.";
  },
  async "env-create"(form) {
    const made = await api("POST", form.dataset.url, { environment: { name: value(form, "name"), values: [] } });
    location.assign(`/ui/environments/${made.environment.id}`);
  },
  async "env-edit"(form) {
    const values = [];
    for (const row of form.querySelectorAll("tbody tr")) {
      const key = row.querySelector('input[name="key"]').value.trim();
      if (!key) continue;
      values.push({ key, value: row.querySelector('input[name="value"]').value,
                    enabled: row.querySelector('input[name="enabled"]').checked,
                    type: row.querySelector('input[name="secret"]').checked ? "secret" : "default" });
    }
    await api("PUT", form.dataset.url, { environment: { name: value(form, "name"), values } });
    location.reload();
  },
  async "key-create"(form) {
    const mocks = Array.from(form.elements.mocks.selectedOptions).map((o) => o.value);
    const made = await api("POST", form.dataset.url, { key: { name: value(form, "name") || null, mocks } });
    // Shown here only, never stored: reloading the page forgets it.
    document.getElementById("new-key-value").textContent = made.key.key;
    document.getElementById("new-key").hidden = false;
    form.reset();
  },
  async "collection-import"(form) {
    const file = form.elements.file.files[0];
    const text = file ? await file.text() : form.elements.json.value;
    let collection;
    try { collection = JSON.parse(text); } catch (e) { throw new Error("that is not JSON"); }
    if (collection.collection && !collection.info) collection = collection.collection;
    const made = await api("POST", form.dataset.url, { collection });
    location.assign(`/ui/collections/${made.collection.id}`);
  },
  async "mock-selected"(form) {
    const ids = Array.from(form.querySelectorAll('input[name="ids"]:checked')).map((c) => c.value);
    if (!ids.length) throw new Error("select at least one request");
    location.assign(`/ui/mocks/new?ids=${ids.join(",")}`);
  },
};

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-form]");
  if (!form || !forms[form.dataset.form]) return;
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    await forms[form.dataset.form](form);
  } catch (error) {
    showError(error.message);
  } finally {
    if (button) button.disabled = false;
  }
});

document.addEventListener("click", async (event) => {
  const copy = event.target.closest("[data-copy], [data-copy-from]");
  if (copy) {
    const text = copy.dataset.copy || document.getElementById(copy.dataset.copyFrom).textContent;
    try { await navigator.clipboard.writeText(text); } catch (e) { window.prompt("Copy this:", text); }
    const label = copy.textContent;
    copy.textContent = "Copied";
    setTimeout(() => { copy.textContent = label; }, 1500);
    return;
  }
  const action = event.target.closest("[data-action]");
  if (!action) return;
  if (action.dataset.action === "logout") {
    await fetch("/ui/logout", { method: "POST", credentials: "same-origin" });
    location.assign("/ui/mocks");
    return;
  }
  if (action.dataset.confirm && !window.confirm(action.dataset.confirm)) return;
  try {
    const body = action.dataset.body ? JSON.parse(action.dataset.body) : undefined;
    await api(action.dataset.method || "DELETE", action.dataset.url, body);
    if (action.dataset.next) location.assign(action.dataset.next); else location.reload();
  } catch (error) {
    showError(error.message);
  }
});

// Create mock server: show the fields of the chosen source only.
function syncSource(form) {
  const source = radio(form, "source");
  for (const block of form.querySelectorAll("[data-when]")) {
    block.hidden = !block.dataset.when.split(" ").includes(source);
  }
}

// The call log, live: new calls arrive as server-sent events and are put on top.
function cell(row, text, className) {
  const td = row.insertCell();
  if (className) td.className = className;
  if (text instanceof Node) td.append(text); else td.textContent = text;
  return td;
}

function callRow(table, call) {
  const row = document.createElement("tr");
  const link = document.createElement("a");
  link.href = `/ui/mocks/${table.dataset.mock}/calls/${call.id}`;
  const time = document.createElement("time");
  time.dateTime = call.servedAt;
  // Local time as YYYY-MM-DD HH:MM:SS, as the server renders it.
  time.textContent = new Date(call.servedAt).toLocaleString("sv-SE");
  link.append(time);
  cell(row, link);
  cell(row, call.request.method);
  cell(row, call.request.path + (call.request.query ? `?${call.request.query}` : ""), "path");
  const status = document.createElement("span");
  status.className = `status s${Math.floor(call.response.statusCode / 100)}`;
  status.textContent = call.response.statusCode;
  cell(row, status);
  cell(row, call.responseName);
  cell(row, call.score === null ? "" : String(call.score));
  cell(row, call.durationMs.toFixed(1));
  row.className = "new";
  return row;
}

function follow(table) {
  const params = new URLSearchParams({ after: table.dataset.after });
  const f = table.dataset;
  if (f.filterSearch) params.set("search", f.filterSearch);
  if (f.filterMethod) params.set("requestMethod", f.filterMethod);
  if (f.filterStatus) params.set("responseStatusCode", f.filterStatus);
  if (f.filterKind) params.set("responseType", f.filterKind);
  const live = document.getElementById("live");
  const source = new EventSource(`${table.dataset.stream}?${params}`);
  source.onopen = () => { live.classList.add("on"); live.textContent = "live"; };
  source.onerror = () => { live.classList.remove("on"); live.textContent = "reconnecting"; };
  source.addEventListener("call", (event) => {
    const call = JSON.parse(event.data);
    table.dataset.after = call.id;
    table.tBodies[0].prepend(callRow(table, call));
    document.getElementById("no-calls").hidden = true;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const create = document.querySelector('form[data-form="mock-create"]');
  if (create) {
    syncSource(create);
    create.addEventListener("change", () => syncSource(create));
  }
  const calls = document.querySelector("table[data-stream]");
  if (calls) follow(calls);
});
