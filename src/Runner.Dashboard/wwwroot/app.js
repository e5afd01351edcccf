// Runner's dashboard: plain JavaScript, no library, nothing loaded from anywhere but this coordinator.
// Views by URL (shareable): #/ sweeps, #/sweeps/ID a sweep, #/sweeps/ID/trials/TRIAL a trial, #/workers.
// Live data arrives as server-sent events (/events, one snapshot a second at most, only when something changed);
// tables, charts and trial pages are fetched again when the trials they show have changed.
"use strict";

const state = { session: 0, live: null, pace: {}, role: null, credentialsRequired: false, route: null, sweepDone: {}, refetchAt: 0, trialsQuery: { offset: 0, status: "", sort: "", desc: false } };

// ---------- DOM helpers: every text goes through textContent, never HTML ----------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const svgNs = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const main = () => document.getElementById("main");
function show(...nodes) { main().replaceChildren(...nodes); }

// ---------- formatting ----------
const pct = v => v === null || v === undefined ? "—" : (100 * v).toFixed(2) + "%";
// An objective's value as people read it: a loss as a number, every score as a percentage.
const objectiveValue = (metric, v) => v === null || v === undefined ? "—" : /_loss$/.test(metric || "") ? v.toFixed(4) : pct(v);
const num = v => v === null || v === undefined ? "—" : (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
function ago(iso) {
  if (!iso) return "—";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 90 ? `${s.toFixed(0)} s ago` : s < 5400 ? `${(s / 60).toFixed(0)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
}
function duration(seconds) {
  if (seconds === null || !isFinite(seconds)) return "—";
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }
/** Time left at the pace seen while this page is open (trials reused from earlier results finish at once, so the
 *  sweep's age says nothing); null until two snapshots a while apart show progress. */
function eta(sweep) {
  const st = sweep.status, samples = state.pace[st.sweep_id] || [];
  if (st.state !== "running" || samples.length < 2) return null;
  const first = samples[0], last = samples[samples.length - 1];
  const rate = (last.done - first.done) / ((last.at - first.at) / 1000);
  return rate > 0 ? (st.total - st.done) / rate : null;
}

/** Remembers each sweep's progress over the last two minutes, for the ETA. */
function notePace() {
  const now = Date.now();
  for (const sw of state.live.sweeps) {
    const samples = state.pace[sw.status.sweep_id] || (state.pace[sw.status.sweep_id] = []);
    samples.push({ at: now, done: sw.status.done });
    while (samples.length > 2 && now - samples[0].at > 120000) samples.shift();
  }
}
function progressBar(st) {
  const bar = h("span", { class: "bar", role: "progressbar", "aria-valuenow": st.done, "aria-valuemax": st.total }, h("span"));
  bar.firstChild.style.width = (st.total ? 100 * st.done / st.total : 0) + "%";
  return bar;
}
/** Tick labels for evenly spaced values, with as many decimals as it takes to tell neighbours apart (56.2%, 56.4%). */
function tickLabels(values, fraction) {
  const scale = fraction ? 100 : 1, step = values.length > 1 ? Math.abs(values[1] - values[0]) * scale : 1;
  const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  return values.map(v => ({ v, label: (v * scale).toFixed(decimals) + (fraction ? "%" : "") }));
}

// ---------- talking to the coordinator ----------
async function api(path, options) {
  const session = state.session;
  const r = await fetch(path, Object.assign({ credentials: "same-origin", headers: { "Accept": "application/json" } }, options));
  if (r.status === 401) {
    // Only this sign-in's requests may send the user back to the login form: one still in flight from before a
    // log-out must not replace the page of the person who has signed in since.
    if (session === state.session) { state.role = null; renderLogin(); }
    throw new Error("login needed");
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.error || `HTTP ${r.status}`), { status: r.status });
  return body;
}

async function whoami() {
  const me = await api("/whoami");
  state.role = me.role;
  state.credentialsRequired = me.credentials_required;
  const who = document.getElementById("who");
  who.replaceChildren(
    h("span", { class: "muted", id: "role" }, me.role || ""),
    me.credentials_required ? h("button", { onclick: logout, style: null }, "Log out") : "");
}

function renderLogin(message) {
  show(h("div", { class: "panel login" },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "This coordinator needs a token: ask its operator for one (", h("code", {}, "runner token create --role viewer"), ")."),
    h("form", { id: "login", onsubmit: async e => {
      e.preventDefault();
      const token = document.getElementById("token").value;
      const r = await fetch("/session", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token }) });
      if (r.ok) { await start(); } else renderLogin((await r.json().catch(() => ({}))).error || "refused");
    } },
      h("input", { id: "token", type: "password", placeholder: "runner_…", autocomplete: "current-password", required: true }),
      h("button", { type: "submit" }, "Sign in")),
    message ? h("p", { class: "error" }, message) : ""));
}

async function logout() {
  state.session++;
  if (events) { events.close(); events = null; }
  clearTimeout(pending);
  clearTimeout(trailing);
  await fetch("/session", { method: "DELETE", credentials: "same-origin" });
  state.role = null;
  renderLogin();
}

let events = null;
function connectEvents() {
  if (events) events.close();
  const live = document.getElementById("live");
  events = new EventSource("/events");
  events.addEventListener("open", () => { live.className = "live on"; live.textContent = "live"; });
  events.addEventListener("error", () => { live.className = "live off"; live.textContent = "reconnecting…"; });
  events.addEventListener("live", e => {
    state.live = JSON.parse(e.data);
    notePace();
    onLive();
  });
}

// ---------- routing ----------
function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "workers") return { view: "workers" };
  if (parts[0] === "sweeps" && parts[1] && parts[2] === "trials" && parts[3]) return { view: "trial", sweep: parts[1], trial: parts[3] };
  if (parts[0] === "sweeps" && parts[1]) return { view: "sweep", sweep: parts[1] };
  return { view: "sweeps" };
}

function route() {
  state.route = parseRoute();
  document.getElementById("nav-sweeps").className = state.route.view === "workers" ? "" : "here";
  document.getElementById("nav-workers").className = state.route.view === "workers" ? "here" : "";
  state.trialsQuery = { offset: 0, status: "", sort: "", desc: false };
  render(true);
}

function render(full) {
  if (!state.role) return;
  const r = state.route;
  if (r.view === "sweeps") renderSweeps();
  else if (r.view === "workers") renderWorkers();
  else if (r.view === "sweep") renderSweep(r.sweep, full);
  else if (r.view === "trial") renderTrial(r.sweep, r.trial, full);
}

/** A live snapshot arrived: redraw live parts; fetch again what depends on finished trials, at most once a second. */
function onLive() {
  const r = state.route;
  if (!r || !state.role) return;
  if (r.view === "sweeps" || r.view === "workers") { render(false); return; }
  const sweep = liveSweep(r.sweep);
  const finished = sweep ? sweep.status.done : -1;
  const changed = state.sweepDone[r.sweep] !== finished;
  state.sweepDone[r.sweep] = finished;
  if (r.view === "sweep") { renderSweepLive(r.sweep); if (changed) refetchSoon(() => loadSweepData(r.sweep)); }
  else if (r.view === "trial") { if (changed) refetchSoon(() => renderTrial(r.sweep, r.trial, false)); else renderTrialLive(r.sweep, r.trial); }
}

let pending = null, trailing = null;
function refetchSoon(fetcher) {
  const wait = Math.max(0, state.refetchAt - Date.now());
  clearTimeout(pending);
  clearTimeout(trailing);
  pending = setTimeout(() => { state.refetchAt = Date.now() + 1000; fetcher(); }, wait);
  // The results store is written just behind the live counts: look once more when they have settled.
  trailing = setTimeout(fetcher, wait + 1500);
}

const liveSweep = id => state.live && state.live.sweeps.find(s => s.status.sweep_id === id);

// ---------- the sweeps ----------
function renderSweeps() {
  if (!state.live) { show(h("p", { class: "muted" }, "Waiting for the coordinator…")); return; }
  const sweeps = [...state.live.sweeps].sort((a, b) => Date.parse(b.submitted_at) - Date.parse(a.submitted_at));
  show(
    h("h1", {}, "Sweeps"),
    h("p", { class: "muted" }, `${sweeps.length} sweep(s) · ${state.live.workers.length} worker(s)`),
    sweeps.length === 0 ? h("p", {}, "No sweeps yet: ", h("code", {}, "runner submit FILE")) :
    h("div", { class: "panel scroll" }, h("table", { id: "sweeps" },
      h("thead", {}, h("tr", {}, ["Sweep", "Id", "State", "Progress", "Done", "Running", "Failed", "Best so far", "Started", "ETA"].map((t, i) => h("th", { class: i >= 4 && i <= 7 ? "num" : "" }, t)))),
      h("tbody", {}, sweeps.map(sw => {
        const st = sw.status;
        return h("tr", { "data-sweep": st.sweep_id },
          h("td", {}, h("a", { href: `#/sweeps/${encodeURIComponent(st.sweep_id)}` }, st.name)),
          h("td", { class: "muted" }, st.sweep_id),
          h("td", {}, h("span", { class: `state ${st.state}` }, st.state)),
          h("td", {}, progressBar(st), " ", h("span", { class: "muted" }, `${st.done}/${st.total}`)),
          h("td", { class: "num", "data-field": "completed" }, st.completed),
          h("td", { class: "num" }, st.running),
          h("td", { class: "num" }, st.failed),
          h("td", { class: "num", title: `${sw.best_metric}: ${sw.best_parameters || ""}` }, objectiveValue(sw.best_metric, sw.best_value)),
          h("td", {}, when(sw.submitted_at)),
          h("td", {}, duration(eta(sw))));
      })))));
}

// ---------- one sweep ----------
function renderSweep(id, full) {
  if (full) {
    show(
      h("div", { id: "sweep-head" }),
      h("div", { id: "sweep-running" }),
      h("h2", {}, "Test accuracy: mean ± std over seeds"),
      h("div", { class: "panel scroll", id: "table-default" }, h("span", { class: "muted" }, "…")),
      h("h2", {}, "Transfer gain over training from scratch"),
      h("div", { class: "panel scroll", id: "table-gain" }, h("span", { class: "muted" }, "…")),
      h("div", { class: "row" },
        h("div", { class: "panel" }, h("h2", {}, "Test accuracy vs dataset size (± std)"), h("div", { id: "chart-size" })),
        h("div", { class: "panel" }, h("h2", {}, "Learning-rate sensitivity"), h("div", { id: "chart-lr" }))),
      h("div", { class: "panel" }, h("h2", {}, "Parameters against test accuracy"), h("div", { id: "chart-scatter" })),
      h("div", { class: "panel" }, h("h2", {}, "Every trial across the swept parameters, and what mattered"), h("div", { id: "chart-parallel" })),
      h("h2", {}, "Trials"),
      h("div", { class: "panel", id: "trials" }));
    state.sweepDone[id] = liveSweep(id) ? liveSweep(id).status.done : -1;
    loadSweepData(id);
  }
  renderSweepLive(id);
}

function renderSweepLive(id) {
  const head = document.getElementById("sweep-head");
  if (!head) return;
  const sw = liveSweep(id);
  if (!sw) { delete head.dataset.built; head.replaceChildren(h("h1", {}, id), h("p", { class: "muted" }, "Not (yet) in this cluster's live view.")); return; }
  const st = sw.status, operator = state.role === "operator";
  // Built once per sweep and role, then updated in place: a button replaced every second would lose the click of a
  // user (or a test) that pressed it while a snapshot arrived.
  if (head.dataset.built !== `${id}|${state.role}`) {
    head.dataset.built = `${id}|${state.role}`;
    head.replaceChildren(
      h("h1", {}, st.name, " ", h("span", { id: "sweep-state" })),
      h("p", { class: "muted" }, `${st.sweep_id} · started ${when(sw.submitted_at)}`),
      h("div", { class: "toolbar" },
        progressBar(st),
        h("span", { id: "sweep-counts" }),
        h("span", { class: "muted", id: "sweep-bases" }),
        h("span", { class: "muted", id: "sweep-eta" }),
        h("span", { class: "spacer" }),
        operator ? h("button", { class: "danger", id: "cancel", onclick: () => act(id, "cancel") }, "Cancel sweep") : "",
        operator ? h("button", { id: "resume", onclick: () => act(id, "resume") }, "Resume") : ""),
      h("p", { id: "sweep-best" }));
  }
  const byId = name => document.getElementById(name);
  const stateLabel = byId("sweep-state");
  stateLabel.className = `state ${st.state}`;
  stateLabel.textContent = st.state;
  head.querySelector(".bar").replaceWith(progressBar(st));
  byId("sweep-counts").textContent = `${st.done}/${st.total} done · completed ${st.completed}, running ${st.running}, pending ${st.pending}, failed ${st.failed}, cancelled ${st.cancelled}`;
  byId("sweep-bases").textContent = st.bases ? `· bases built ${st.bases_built}/${st.bases}` : "";
  byId("sweep-eta").textContent = `· ETA ${duration(eta(sw))}`;
  // Cancel is offered while the sweep runs; a finished one has nothing left to cancel.
  const cancel = byId("cancel");
  if (cancel) cancel.hidden = st.state !== "running";
  byId("sweep-best").replaceChildren(...(sw.best_value !== null && sw.best_value !== undefined
    ? [`Best ${sw.best_metric} so far: `, h("b", {}, objectiveValue(sw.best_metric, sw.best_value)), h("span", { class: "muted" }, ` (${sw.best_parameters})`)] : []));
  const running = document.getElementById("sweep-running");
  running.replaceChildren(sw.running.length === 0 ? "" : h("div", { class: "panel scroll" }, h("table", { id: "running" },
    h("thead", {}, h("tr", {}, ["Running trial", "Worker", "Epoch", "Val. accuracy", "Images/s", "Parameters"].map(t => h("th", {}, t)))),
    h("tbody", {}, sw.running.map(r => h("tr", {},
      h("td", {}, h("a", { href: `#/sweeps/${encodeURIComponent(id)}/trials/${encodeURIComponent(r.trial_id)}` }, r.trial_id)),
      h("td", {}, r.worker), h("td", { class: "num" }, `${r.epoch}/${r.epochs}`), h("td", { class: "num" }, pct(r.val_accuracy)),
      h("td", { class: "num" }, num(r.images_per_second)), h("td", { class: "muted" }, r.parameters)))))));
}

async function act(id, action) {
  try { await api(`/sweeps/${encodeURIComponent(id)}/${action}`, { method: "POST" }); }
  catch (e) { alert(`${action}: ${e.message}`); }
}

async function loadSweepData(id) {
  const enc = encodeURIComponent(id);
  const table = await api(`/sweeps/${enc}/table`).catch(e => e);
  // The default table says whether the sweep has a scratch baseline: the gain view is asked for only then.
  const noBaseline = new Error("No scratch baseline in this sweep to compare with (add initialization: [pretrained, scratch]).");
  const [gain, lr, points, parameters] = await Promise.all([
    table instanceof Error || !table.scratch_baseline ? noBaseline : api(`/sweeps/${enc}/table?view=gain`).catch(e => e),
    api(`/sweeps/${enc}/table?view=learning_rate`).catch(e => e), api(`/sweeps/${enc}/points`).catch(e => e),
    api(`/sweeps/${enc}/parameters`).catch(e => e)]);
  if (!document.getElementById("table-default")) return;
  fill("table-default", table, t => comparisonTable(t, "results"));
  fill("table-gain", gain, t => comparisonTable(t, "gain"));
  fill("chart-size", table, t => lineChart(t, "dataset size (images per class)"));
  fill("chart-lr", lr, t => lineChart(t, "learning rate"));
  fill("chart-scatter", points, scatter);
  fill("chart-parallel", parameters, parallelCoordinates);
  await loadTrials(id);
  // Says when the sweep's views are all drawn (tests and load-time measurements wait for it).
  document.body.dataset.loaded = `${id}:${state.sweepDone[id]}`;
}

function fill(elementId, data, draw) {
  const el = document.getElementById(elementId);
  if (!el) return;
  el.replaceChildren(data instanceof Error ? h("span", { class: "muted" }, data.message) : draw(data));
}

/** A comparison table as `runner results` prints it: rows × columns, mean ± std (n), best per column marked. */
function comparisonTable(t, id) {
  if (t.cells.length === 0) return h("span", { class: "muted" }, "No finished trials yet.");
  const key = (obj, names) => names.map(n => obj[n]).join(", ");
  const rows = [...new Set(t.cells.map(c => key(c.row, t.rows)))];
  const cols = [...new Set(t.cells.map(c => key(c.column, t.columns)))];
  const byKey = new Map(t.cells.map(c => [key(c.row, t.rows) + "|" + key(c.column, t.columns), c]));
  const gain = t.metric.endsWith("_gain"), accuracy = t.fraction;
  const fmt = v => v === null || v === undefined ? "—" : accuracy ? (gain && v > 0 ? "+" : "") + (100 * v).toFixed(1) : num(v);
  return h("table", { id: `table-${id}`, class: "compare", "data-metric": t.metric },
    h("thead", {}, h("tr", {}, h("th", {}, `${t.rows.join(", ")} \\ ${t.columns.join(", ")}`), cols.map(c => h("th", { class: "num" }, c)))),
    h("tbody", {}, rows.map(r => h("tr", {}, h("th", {}, r), cols.map(c => {
      const cell = byKey.get(r + "|" + c);
      if (!cell) return h("td", {});
      // One seed has no spread: "56.5 (1)", not "56.5 ± 0.0 (1)".
      const spread = cell.std === null ? "" : ` ± ${accuracy ? (100 * cell.std).toFixed(1) : num(cell.std)}`;
      const text = cell.mean === null ? "—" : fmt(cell.mean) + spread;
      return h("td", { class: "num" + (cell.best ? " best" : "") + (gain && cell.mean !== null ? (cell.mean >= 0 ? " pos" : " neg") : ""),
        "data-row": r, "data-column": c, "data-mean": cell.mean, "data-std": cell.std, "data-seeds": cell.seeds,
        title: `${cell.seeds} seed(s), ${cell.trials} trial(s)${cell.chosen ? "; chosen by validation: " + cell.chosen : ""}${cell.tuned_by ? " by " + cell.tuned_by : ""}${cell.missing ? "; " + cell.missing + " missing" : ""}` },
        text, h("span", { class: "muted" }, ` (${cell.seeds})`));
    })))));
}

// ---------- charts: SVG drawn here ----------
const palette = ["#2f6fdb", "#d9582b", "#1f8a4c", "#8e44ad", "#b7791f", "#c8372d", "#138d90", "#7f8c8d", "#e84393", "#2d3436"];

function axes(width, height, pad, x, y, xLabel, yLabel, xTicks, yTicks) {
  const g = s("g", {});
  g.append(s("line", { class: "axis", x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b }));
  g.append(s("line", { class: "axis", x1: pad.l, y1: pad.t, x2: pad.l, y2: height - pad.b }));
  for (const t of xTicks) g.append(s("text", { x: x(t.v), y: height - pad.b + 14, "text-anchor": "middle" }, t.label));
  for (const t of yTicks) {
    g.append(s("line", { class: "axis", x1: pad.l, y1: y(t.v), x2: width - pad.r, y2: y(t.v), "stroke-dasharray": "2,3", "stroke-opacity": 0.6 }));
    g.append(s("text", { x: pad.l - 6, y: y(t.v) + 4, "text-anchor": "end" }, t.label));
  }
  g.append(s("text", { x: (pad.l + width - pad.r) / 2, y: height - 4, "text-anchor": "middle" }, xLabel));
  g.append(s("text", { x: 12, y: pad.t - 6 }, yLabel));
  return g;
}

function niceTicks(lo, hi, count) {
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count || 1)));
  const err = (hi - lo) / count / step, mult = err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
  const st = step * mult, ticks = [];
  for (let v = Math.ceil(lo / st) * st; v <= hi + 1e-12; v += st) ticks.push(v);
  return ticks;
}

/** One line per table row over the (numeric) column values, with a ± std band; log x when the values span 10× or more. */
function lineChart(t, xLabel) {
  const key = (obj, names) => names.map(n => obj[n]).join(", ");
  const series = new Map();
  for (const c of t.cells) {
    if (c.mean === null) continue;
    const name = key(c.row, t.rows), x = parseFloat(key(c.column, t.columns));
    if (!isFinite(x)) continue;
    if (!series.has(name)) series.set(name, []);
    series.get(name).push({ x, m: c.mean, sd: c.std || 0 });  // no band where the spread is unknown (one seed)
  }
  if (series.size === 0) return h("span", { class: "muted" }, "No finished trials yet.");
  const all = [...series.values()].flat();
  const xs = all.map(p => p.x), xlo = Math.min(...xs), xhi = Math.max(...xs);
  const log = xlo > 0 && xhi / xlo >= 10;
  const tx = v => log ? Math.log10(v) : v;
  const ylo = Math.min(...all.map(p => p.m - p.sd)), yhi = Math.max(...all.map(p => p.m + p.sd));
  const width = 640, height = 280, pad = { l: 48, r: 30, t: 18, b: 34 };
  const spanX = (tx(xhi) - tx(xlo)) || 1, spanY = (yhi - ylo) || 0.01;
  const x = v => pad.l + (tx(v) - tx(xlo)) / spanX * (width - pad.l - pad.r) + (xhi === xlo ? (width - pad.l - pad.r) / 2 : 0);
  const y = v => height - pad.b - (v - (ylo - spanY * 0.05)) / (spanY * 1.1) * (height - pad.t - pad.b);
  const xTicks = [...new Set(xs)].sort((a, b) => a - b).map(v => ({ v, label: String(v) }));
  const yTicks = tickLabels(niceTicks(ylo, yhi, 5), t.fraction);
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${t.metric} vs ${xLabel}` },
    axes(width, height, pad, x, y, xLabel + (log ? " (log)" : ""), t.metric.replace(/_/g, " "), xTicks, yTicks));
  const legend = h("div", { class: "legend" });
  [...series.entries()].forEach(([name, points], i) => {
    const colour = palette[i % palette.length];
    points.sort((a, b) => a.x - b.x);
    const band = points.map(p => `${x(p.x)},${y(p.m + p.sd)}`).concat([...points].reverse().map(p => `${x(p.x)},${y(p.m - p.sd)}`)).join(" ");
    svg.append(s("polygon", { points: band, fill: colour, "fill-opacity": 0.15, stroke: "none" }));
    svg.append(s("polyline", { points: points.map(p => `${x(p.x)},${y(p.m)}`).join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
    const value = v => t.fraction ? pct(v) : num(v);
    for (const p of points) svg.append(s("circle", { cx: x(p.x), cy: y(p.m), r: 3, fill: colour }, s("title", {}, `${name}: ${value(p.m)}${p.sd ? " ± " + value(p.sd) : ""} at ${p.x}`)));
    const swatch = h("i"); swatch.style.background = colour;
    legend.append(h("span", {}, swatch, name));
  });
  return h("div", {}, svg, legend);
}

/** Every finished trial as a point: a chosen parameter against test accuracy, coloured by freeze depth (canvas: 10,000 points stay fast). */
function scatter(points) {
  if (points.rows.length === 0) return h("span", { class: "muted" }, "No finished trials yet.");
  const f = name => points.fields.indexOf(name);
  const choices = ["learning_rate", "dataset_size", "freeze_depth", "seed"].filter(p => new Set(points.rows.map(r => r[f(p)])).size > 1);
  const box = h("div", {});
  const select = h("select", { id: "scatter-x", onchange: () => draw() }, (choices.length ? choices : ["freeze_depth"]).map(c => h("option", { value: c }, c.replace(/_/g, " "))));
  const canvas = h("canvas", { class: "chart", id: "scatter" });
  const legend = h("div", { class: "legend" });
  box.append(h("div", { class: "toolbar" }, "x:", select, h("span", { class: "muted" }, `${points.rows.length} finished trials; colour: freeze depth`)), canvas, legend);
  function draw() {
    const px = select.value, ix = f(px), iy = f("test_accuracy"), id = f("freeze_depth");
    const xs = points.rows.map(r => r[ix]), ys = points.rows.map(r => r[iy]);
    const log = Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 10;
    const tx = v => log ? Math.log10(v) : v;
    const xlo = Math.min(...xs.map(tx)), xhi = Math.max(...xs.map(tx)), ylo = Math.min(...ys), yhi = Math.max(...ys);
    // Drawn at the size it is shown (times the screen's pixel ratio), so its text is the 11 px of the other charts.
    const ratio = window.devicePixelRatio || 1, W = canvas.clientWidth || 640, H = 280;  // as tall as the SVG charts
    canvas.width = W * ratio; canvas.height = H * ratio; canvas.style.height = H + "px";
    const ctx = canvas.getContext("2d"), pad = { l: 48, r: 30, t: 12, b: 34 };
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const style = getComputedStyle(document.body);
    ctx.clearRect(0, 0, W, H);
    ctx.strokeStyle = style.getPropertyValue("--line"); ctx.fillStyle = style.getPropertyValue("--muted"); ctx.font = `11px ${style.fontFamily}`;
    ctx.beginPath(); ctx.moveTo(pad.l, pad.t); ctx.lineTo(pad.l, H - pad.b); ctx.lineTo(W - pad.r, H - pad.b); ctx.stroke();
    const x = v => pad.l + ((tx(v) - xlo) / ((xhi - xlo) || 1)) * (W - pad.l - pad.r);
    const y = v => H - pad.b - ((v - ylo) / ((yhi - ylo) || 1)) * (H - pad.t - pad.b);
    ctx.textAlign = "right";
    for (const t of tickLabels(niceTicks(ylo, yhi, 5), true)) ctx.fillText(t.label, pad.l - 6, y(t.v) + 4);
    ctx.textAlign = "center";
    for (const v of [...new Set(xs)].sort((a, b) => a - b).slice(0, 12)) ctx.fillText(String(v), x(v), H - pad.b + 14);
    ctx.fillText(px.replace(/_/g, " ") + (log ? " (log)" : ""), (pad.l + W - pad.r) / 2, H - 4);
    const depths = [...new Set(points.rows.map(r => r[id]))].sort((a, b) => a - b);
    const jitter = (i) => ((i * 2654435761) % 1000 / 1000 - 0.5) * 8;
    points.rows.forEach((r, i) => {
      ctx.fillStyle = palette[depths.indexOf(r[id]) % palette.length];
      ctx.globalAlpha = 0.65;
      ctx.beginPath(); ctx.arc(x(r[ix]) + jitter(i) / 2, y(r[iy]), 3, 0, 2 * Math.PI); ctx.fill();
    });
    ctx.globalAlpha = 1;
    legend.replaceChildren(...depths.map((d, i) => { const sw = h("i"); sw.style.background = palette[i % palette.length]; return h("span", {}, sw, `freeze depth ${d}`); }));
  }
  requestAnimationFrame(draw);
  return box;
}

/**
 * Parallel coordinates: an axis per swept parameter and one for the objective (validation), every finished trial a
 * line coloured from worse (light) to better (dark), the best one thick; beside it, each parameter's share of the
 * objective's variance (the report's table). Hovering a line names the trial and its values.
 */
function parallelCoordinates(view) {
  if (view.lines.length === 0 || view.axes.length < 2) return h("span", { class: "muted" }, "Needs finished trials that differ in at least one parameter.");
  const W = Math.max(640, 150 * view.axes.length), H = 300, pad = { l: 60, r: 60, t: 28, b: 34 };
  // Scaled as a whole (text keeps its shape): as wide as the panel, as tall as the width allows.
  const svg = s("svg", { class: "chart parallel", id: "parallel", viewBox: `0 0 ${W} ${H}` });
  const x = i => pad.l + i * (W - pad.l - pad.r) / (view.axes.length - 1);
  const y = p => H - pad.b - p * (H - pad.t - pad.b);
  const lo = Math.min(...view.lines.map(l => l.objective)), hi = Math.max(...view.lines.map(l => l.objective));
  const good = v => hi <= lo ? 1 : view.maximize ? (v - lo) / (hi - lo) : (hi - v) / (hi - lo);
  const fmt = v => Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-4 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(3));
  view.axes.forEach((a, i) => {
    svg.append(s("line", { class: "axis", x1: x(i), y1: y(0), x2: x(i), y2: y(1) }));
    svg.append(s("text", { x: x(i), y: H - 8, "text-anchor": "middle" }, a.name.replace(/_/g, " ") + (a.log ? " (log)" : "")));
    svg.append(s("text", { x: x(i), y: y(1) - 8, "text-anchor": "middle" }, a.numeric ? fmt(a.max) : a.choices[a.choices.length - 1]));
    svg.append(s("text", { x: x(i) + 4, y: y(0) + 12, "text-anchor": "start" }, a.numeric ? fmt(a.min) : a.choices[0]));
  });
  // Worse lines first, so the good ones are drawn on top.
  const ordered = [...view.lines].sort((a, b) => good(a.objective) - good(b.objective));
  for (const l of ordered) {
    const g = good(l.objective);
    svg.append(s("polyline", { class: "pc-line" + (l.best ? " best" : ""), "data-trial": l.trial_id, points: l.positions.map((p, i) => `${x(i)},${y(p)}`).join(" "),
      fill: "none", stroke: `hsl(220, 70%, ${80 - 50 * g}%)`, "stroke-width": l.best ? 3 : 1.2, "stroke-opacity": l.best ? 1 : 0.7 },
      s("title", {}, `${l.trial_id}: ${view.axes.map((a, i) => `${a.name} ${l.values[i]}`).join(", ")}`)));
  }
  const importance = view.importance.length === 0 ? h("span", { class: "muted" }, "No variation to attribute yet.")
    : h("table", { id: "importance" }, h("thead", {}, h("tr", {}, h("th", {}, "parameter"), h("th", { class: "num" }, `share of ${view.objective}'s variance`))),
      h("tbody", {}, view.importance.map(i => {
        const bar = h("span", {}); bar.style.width = `${Math.round(100 * i.share)}%`;
        return h("tr", { "data-parameter": i.parameter }, h("td", {}, i.parameter), h("td", { class: "num" }, `${(100 * i.share).toFixed(1)}%`, " ", h("span", { class: "bar" }, bar)));
      })));
  return h("div", {}, svg, h("p", { class: "muted" }, `${view.lines.length} finished trials; darker is better on ${view.objective} (validation). Importance: each parameter's first-order share of the objective's variance (fANOVA's main effect, from binned means).`), importance);
}

// ---------- the trials of a sweep: paged, filtered and sorted by the server ----------
const trialColumns = [
  ["trial_id", "Trial"], ["status", "Status"], ["initialization", "Init."], ["freeze_depth", "Freeze"], ["learning_rate", "LR"],
  ["dataset_size", "Size"], ["seed", "Seed"], ["attempts", "Attempts"], ["test_accuracy", "Test acc."], ["best_val_accuracy", "Best val."],
  ["seconds", "Seconds"], ["worker", "Worker"]];

async function loadTrials(id) {
  const q = state.trialsQuery, el = document.getElementById("trials");
  if (!el) return;
  const params = new URLSearchParams({ offset: q.offset, limit: 50 });
  if (q.status) params.set("status", q.status);
  if (q.sort) { params.set("sort", q.sort); params.set("desc", q.desc); }
  let page;
  try { page = await api(`/sweeps/${encodeURIComponent(id)}/trials?${params}`); }
  catch (e) { el.replaceChildren(h("span", { class: "error" }, e.message)); return; }
  const again = () => loadTrials(id);
  const status = h("select", { id: "trial-status", onchange: e => { q.status = e.target.value; q.offset = 0; again(); } },
    ["", ...page.statuses].map(v => h("option", { value: v, selected: v === q.status }, v || "any status")));
  el.replaceChildren(
    h("div", { class: "toolbar" }, status,
      h("button", { id: "trials-prev", disabled: q.offset === 0, onclick: () => { q.offset = Math.max(0, q.offset - 50); again(); } }, "‹ Previous"),
      h("span", { id: "trials-range" }, page.total === 0 ? "no trials" : `${q.offset + 1}–${Math.min(q.offset + 50, page.total)} of ${page.total}`),
      h("button", { id: "trials-next", disabled: q.offset + 50 >= page.total, onclick: () => { q.offset += 50; again(); } }, "Next ›")),
    h("div", { class: "scroll" }, h("table", { id: "trials-table" },
      h("thead", {}, h("tr", {}, trialColumns.map(([k, label]) => h("th", { class: "sortable", "data-sort": k, onclick: () => {
        q.desc = q.sort === k ? !q.desc : k.includes("accuracy"); q.sort = k; again(); } }, label + (q.sort === k ? (q.desc ? " ▾" : " ▴") : ""))))),
      h("tbody", {}, page.rows.map(r => h("tr", { "data-trial": r.trial_id },
        h("td", {}, h("a", { href: `#/sweeps/${encodeURIComponent(id)}/trials/${encodeURIComponent(r.trial_id)}` }, r.trial_id)),
        h("td", {}, h("span", { class: `state ${r.status}` }, r.status)),
        h("td", {}, r.initialization), h("td", { class: "num" }, r.freeze_depth), h("td", { class: "num" }, r.learning_rate),
        h("td", { class: "num" }, r.dataset_size ?? "all"), h("td", { class: "num" }, r.seed), h("td", { class: "num" }, r.attempts),
        h("td", { class: "num" }, pct(r.test_accuracy)), h("td", { class: "num" }, pct(r.best_val_accuracy)),
        h("td", { class: "num" }, num(r.seconds)), h("td", { class: "muted" }, r.worker || "")))))));
}

// ---------- one trial ----------
async function renderTrial(sweepId, trialId, full) {
  let t;
  try { t = await api(`/sweeps/${encodeURIComponent(sweepId)}/trials/${encodeURIComponent(trialId)}`); }
  catch (e) { if (full) show(h("p", { class: "error" }, e.message)); return; }
  // A model recorded for the trial may have been dropped when its sweep ended (sweep.keep): link only what is kept.
  const kept = t.model_sha256 ? await api(`/sweeps/${encodeURIComponent(sweepId)}/models`).then(m => m.kept.includes(t.trial_id)).catch(() => false) : false;
  const facts = (pairs) => h("dl", { class: "facts" }, pairs.filter(p => p[1] !== null && p[1] !== undefined && p[1] !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
  const epochs = t.epoch_metrics || [];
  show(
    h("p", {}, h("a", { href: `#/sweeps/${encodeURIComponent(sweepId)}` }, "‹ " + sweepId)),
    h("h1", {}, `Trial ${t.trial_id} `, h("span", { class: `state ${t.status}`, id: "trial-status-label" }, t.status)),
    h("div", { id: "trial-live" }),
    h("div", { class: "row" },
      h("div", { class: "panel" }, h("h2", {}, "Parameters"), facts([
        ["model", t.model], ["initialization", t.initialization], ["freeze depth", t.freeze_depth], ["strategy", t.strategy],
        ["learning rate", t.learning_rate], ["images per class", t.dataset_size ?? "all"], ["epochs", t.epochs], ["batch size", t.batch_size],
        ["optimizer", t.optimizer], ["weight decay", t.weight_decay], ["seed", t.seed], ["target", `${t.target_dataset} [${t.target_classes.join(", ")}]`],
        ["lr schedule", t.lr_schedule === "constant" && !t.warmup_epochs ? null : `${t.lr_schedule}${t.warmup_epochs ? `, ${t.warmup_epochs} warm-up epoch(s)` : ""}`],
        ["label smoothing", t.label_smoothing || null], ["gradient clipping", t.grad_clip || null],
        ["patience", t.patience ? `${t.patience} epoch(s), min. delta ${t.min_delta}` : null],
        ["pretraining", t.pretrain ? `${t.pretrain.dataset} [${t.pretrain.classes.join(", ")}], ${t.pretrain.epochs} epoch(s)` : null],
        ["base checkpoint", t.base_sha256], ["weights", t.weights_path]])),
      h("div", { class: "panel" }, h("h2", {}, "Result and attempts"), facts([
        ["status", t.status], ["attempts", t.attempts], ["last worker", t.worker], ["device", t.device], ["threads", t.threads],
        ["test accuracy", t.test_accuracy === null ? null : pct(t.test_accuracy)],
        ["test macro-F1", t.test_macro_f1 == null ? null : pct(t.test_macro_f1)],
        ["test balanced accuracy", t.test_balanced_accuracy == null ? null : pct(t.test_balanced_accuracy)],
        ["test top-5 accuracy", t.test_top5_accuracy == null ? null : pct(t.test_top5_accuracy)],
        ["best val. accuracy", t.best_val_accuracy === null ? null : `${pct(t.best_val_accuracy)} (epoch ${t.best_epoch})`],
        ["objective", t.objective_value == null ? null : `${t.objective_metric} ${objectiveValue(t.objective_metric, t.objective_value)} (${t.objective_goal})`],
        ["tested with", t.selected_epoch == null ? null : `the weights of epoch ${t.selected_epoch} (${t.select === "best" ? "best on validation" : "last"})`],
        ["kept model", kept ? h("a", { id: "model-download", href: `/sweeps/${encodeURIComponent(sweepId)}/trials/${encodeURIComponent(t.trial_id)}/model`, download: `${t.trial_id}.safetensors` }, "download (safetensors)") : null],
        ["seconds", t.seconds === null ? null : num(t.seconds)], ["trainable parameters", t.trainable_parameters], ["message", t.message]]),
        t.failure ? h("div", {}, h("h2", {}, "Failure"), h("div", { class: "failure", id: "failure" }, t.failure)) : "")),
    t.test_confusion ? h("div", { class: "panel scroll" }, h("h2", {}, "Test confusion matrix and per-class accuracy"), confusionTable(t.test_confusion, t.target_classes)) : "",
    epochs.length === 0 ? h("p", { class: "muted" }, "Per-epoch curves appear when the trial has finished (its running epoch shows above).") :
    h("div", { class: "row" },
      h("div", { class: "panel" }, h("h2", {}, "Loss per epoch"), curves(epochs, [["train_loss", "train"], ["val_loss", "validation"]], false)),
      h("div", { class: "panel" }, h("h2", {}, "Accuracy per epoch"), curves(epochs, [["train_accuracy", "train"], ["val_accuracy", "validation"]], true))));
  renderTrialLive(sweepId, trialId);
}

/** Rows: true class; columns: predicted; the diagonal marked; each row's share right (per-class accuracy). */
function confusionTable(confusion, classes) {
  return h("table", { id: "confusion", class: "compare" },
    h("thead", {}, h("tr", {}, h("th", {}, "true \\ predicted"), classes.map(c => h("th", { class: "num" }, c)), h("th", { class: "num" }, "accuracy"))),
    h("tbody", {}, confusion.map((row, i) => {
      const n = row.reduce((a, b) => a + b, 0);
      return h("tr", {}, h("th", {}, classes[i]),
        row.map((count, j) => h("td", { class: "num" + (i === j ? " best" : "") }, count)),
        h("td", { class: "num", "data-class-accuracy": classes[i] }, n === 0 ? "—" : pct(row[i] / n)));
    })));
}

function renderTrialLive(sweepId, trialId) {
  const el = document.getElementById("trial-live");
  const sw = liveSweep(sweepId);
  if (!el || !sw) return;
  const r = sw.running.find(x => x.trial_id === trialId);
  el.replaceChildren(r ? h("p", { class: "panel" }, `Running on ${r.worker} (attempt ${r.attempt}): epoch ${r.epoch}/${r.epochs}, validation accuracy ${pct(r.val_accuracy)}, ${num(r.images_per_second)} images/s`) : "");
}

function curves(epochs, series, accuracy) {
  const table = { metric: accuracy ? "accuracy" : "loss", fraction: accuracy, rows: ["series"], columns: ["epoch"], cells: [] };
  for (const [field, name] of series)
    for (const e of epochs) table.cells.push({ row: { series: name }, column: { epoch: String(e.epoch) }, mean: e[field], std: 0 });
  return lineChart(table, "epoch");
}

// ---------- workers ----------
function renderWorkers() {
  if (!state.live) { show(h("p", { class: "muted" }, "Waiting for the coordinator…")); return; }
  const workers = state.live.workers;
  show(h("h1", {}, "Workers"), h("p", { class: "muted" }, `${workers.length} worker(s)`),
    h("div", { class: "panel scroll" }, h("table", { id: "workers" },
      h("thead", {}, h("tr", {}, ["Host", "Worker", "Device", "Threads", "State", "Trial", "Epoch", "Images/s", "Last heard"].map(t => h("th", {}, t)))),
      h("tbody", {}, workers.map(w => h("tr", {},
        h("td", {}, w.worker.split(":")[0]), h("td", { class: "muted" }, w.worker), h("td", {}, w.device), h("td", { class: "num" }, w.threads || "—"),
        h("td", {}, h("span", { class: `state ${w.idle ? "pending" : "running"}` }, w.idle ? "idle" : "busy")),
        h("td", {}, w.trial ? h("a", { href: `#/sweeps/${encodeURIComponent(w.sweep)}/trials/${encodeURIComponent(w.trial)}` }, w.trial) : "—"),
        h("td", { class: "num" }, w.epoch !== null && w.epoch !== undefined ? `${w.epoch}/${w.epochs}` : "—"),
        h("td", { class: "num" }, num(w.images_per_second)), h("td", {}, ago(w.last_seen))))))));
}

// ---------- start ----------
async function start() {
  state.session++;
  try { await whoami(); } catch (e) { return; }
  connectEvents();
  route();
}
window.addEventListener("hashchange", route);
start();
