# ruff: noqa: E501 (JavaScript and CSS in strings, not Python lines)
"""The page's style sheet and script, kept inline so the page and the report need no network.

The script renders a snapshot (see :mod:`.model`) with DOM calls only (text is never parsed as
HTML). Live, it fetches ``api/snapshot`` every two seconds and an opened entity's output tails
from ``api/tail?id=``; in a report, ``window.SMARTSIM_SNAPSHOT`` holds everything.
``#open=<id>,<id>`` (or ``#open=all``) in the address opens those entities' panels.
"""

from __future__ import annotations

CSS = r"""
:root { --fg:#1d2430; --muted:#5d6878; --line:#d9dee6; --bg:#f5f7fa; --card:#fff;
  --ok:#1a7f37; --bad:#c62828; --run:#1565c0; --wait:#6b7280; --warn:#b45309; --odd:#7c3aed; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  color:var(--fg); background:var(--bg); }
header { background:#17324d; color:#fff; padding:14px 24px; display:flex; flex-wrap:wrap;
  align-items:baseline; gap:6px 18px; }
header h1 { font-size:20px; margin:0; }
header .meta { color:#c9d6e3; font-size:13px; }
header .updated { margin-left:auto; color:#c9d6e3; font-size:12px; }
main { padding:16px 24px 40px; max-width:1400px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:12px 16px; margin:0 0 16px; }
section h2 { font-size:16px; margin:0 0 8px; }
section h3 { font-size:14px; margin:12px 0 6px; }
.banner { padding:10px 14px; border-radius:6px; margin:0 0 16px; background:#fff4e5;
  border:1px solid #f0c27b; }
.banner.error { background:#fdecea; border-color:#f5a3a3; }
.cards { display:flex; flex-wrap:wrap; gap:10px; margin:0 0 16px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:8px 14px; min-width:110px; }
.card .n { font-size:22px; font-weight:600; }
.card .l { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line);
  vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; }
tr.entity.failed td { background:#fff5f5; }
td.num { font-variant-numeric:tabular-nums; }
button.name { background:none; border:0; padding:0; font:inherit; color:#0b57d0;
  cursor:pointer; text-align:left; }
button.name::before { content:"\25B8  "; color:var(--muted); }
button.name[aria-expanded="true"]::before { content:"\25BE  "; }
tr.details > td { background:#fafbfc; }
.status { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px;
  font-weight:600; color:#fff; background:var(--wait); }
.s-completed { background:var(--ok); } .s-failed { background:var(--bad); }
.s-running { background:var(--run); } .s-cancelled { background:var(--warn); }
.s-unknown { background:var(--odd); } .s-inactive { background:var(--muted); }
.kv { display:grid; grid-template-columns:max-content 1fr; gap:2px 12px; margin:4px 0 8px; }
.kv dt { color:var(--muted); } .kv dd { margin:0; word-break:break-all; }
code, pre { font-family:ui-monospace, "DejaVu Sans Mono", monospace; font-size:12px; }
pre.tail { background:#0f1722; color:#dde3ea; padding:8px 10px; border-radius:6px;
  max-height:320px; overflow:auto; white-space:pre-wrap; word-break:break-all; margin:4px 0 10px; }
pre.tail.err { border-left:4px solid var(--bad); }
.tails { display:grid; grid-template-columns:1fr 1fr; gap:12px; }
@media (max-width:900px) { .tails { grid-template-columns:1fr; } }
.param { display:inline-block; background:#eef2f7; border-radius:4px; padding:0 6px;
  margin:0 4px 2px 0; font-family:ui-monospace, monospace; font-size:12px; }
.charts { display:flex; flex-wrap:wrap; gap:16px; }
figure { margin:0; } figcaption { font-size:12px; color:var(--muted); }
svg.chart { background:#fbfcfd; border:1px solid var(--line); border-radius:6px; }
svg.chart text { font-size:10px; fill:var(--muted); }
svg.chart .axis { stroke:#aab3bf; stroke-width:1; }
.legend span { display:inline-block; margin-right:12px; font-size:12px; }
.legend i { display:inline-block; width:10px; height:10px; margin-right:4px; border-radius:2px; }
.muted { color:var(--muted); }
"""

JS = r"""
(function () {
  "use strict";
  var embedded = window.SMARTSIM_SNAPSHOT || null;
  var LIVE = !embedded;
  var COLORS = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037"];
  var opened = new Set();
  var tails = {};
  var snapshot = embedded;
  var lostSince = null;

  (function readHash() {
    var m = /open=([^&]*)/.exec(location.hash || "");
    if (m) decodeURIComponent(m[1]).split(",").forEach(function (id) { if (id) opened.add(id); });
  })();
  function isOpen(id) { return opened.has(id) || opened.has("all"); }

  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function s(tag, attrs) {
    var el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "onclick") el.addEventListener("click", v); else el.setAttribute(k, String(v));
    });
  }
  function add(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(el, k); }); return; }
    el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }

  function slug(text) { return String(text || "unknown").toLowerCase().replace(/[^a-z]+/g, ""); }
  function badge(status) { return h("span", {"class": "status s-" + slug(status)}, status); }
  function time(sec) { return sec ? new Date(sec * 1000).toLocaleTimeString() : ""; }
  function stamp(sec) { return sec ? new Date(sec * 1000).toLocaleString() : ""; }
  function duration(e) {
    if (!e.started) return "";
    var end = e.stopped || (LIVE ? Date.now() / 1000 : snapshot.generated);
    var d = Math.max(0, end - e.started);
    if (d < 60) return d.toFixed(1) + " s";
    if (d < 3600) return Math.floor(d / 60) + " min " + Math.round(d % 60) + " s";
    return (d / 3600).toFixed(1) + " h";
  }
  function bytes(n) {
    if (n === null || n === undefined) return "";
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(Math.round(n))) + " " + units[i];
  }
  function durationCell(e) {
    return h("td", {"class": "num duration", "data-id": e.stopped ? null : e.id}, duration(e));
  }
  function refreshDurations() {
    var byId = {};
    allEntities().forEach(function (e) { byId[e.id] = e; });
    document.querySelectorAll("td.duration[data-id]").forEach(function (td) {
      var e = byId[td.getAttribute("data-id")];
      if (e) td.textContent = duration(e);
    });
  }
  function rc(e) { return e.return_code === null || e.return_code === undefined ? "" : e.return_code; }
  function quote(word) {
    word = String(word);
    if (/^[\w@%+=:,.\/-]+$/.test(word)) return word;
    if (word.indexOf("'") < 0) return "'" + word + "'";
    if (!/["\\$`]/.test(word)) return '"' + word + '"';
    return "'" + word.replace(/'/g, "'\"'\"'") + "'";
  }
  function command(e) {
    return [e.run_command, e.exe].filter(Boolean).concat((e.exe_args || []).map(quote)).join(" ");
  }
  function params(obj) {
    return Object.keys(obj || {}).map(function (k) {
      var v = obj[k];
      return h("span", {"class": "param"}, k + "=" + (Array.isArray(v) ? v.join(", ") : v));
    });
  }
  function kv(pairs) {
    var dl = h("dl", {"class": "kv"});
    pairs.forEach(function (p) {
      if (p[1] === "" || p[1] === null || p[1] === undefined) return;
      add(dl, [h("dt", null, p[0]), h("dd", null, p[1])]);
    });
    return dl;
  }

  function toggle(id) {
    if (opened.has("all")) {
      opened.delete("all");
      allIds().forEach(function (x) { opened.add(x); });
    }
    if (opened.has(id)) opened.delete(id);
    else { opened.add(id); fetchTail(id).then(function () { render(true); }); }
    render(true);
  }
  function allEntities() {
    if (!snapshot) return [];
    var all = snapshot.models.slice();
    snapshot.ensembles.forEach(function (n) { all = all.concat(n.members); });
    snapshot.databases.forEach(function (d) { all = all.concat(d.shards); });
    return all;
  }
  function allIds() {
    return ["experiment"].concat(allEntities().map(function (e) { return e.id; }));
  }
  function nameCell(e) {
    return h("button", {"class": "name", "type": "button", "aria-expanded": isOpen(e.id),
                        "onclick": function () { toggle(e.id); }}, e.name);
  }
  function tailBlock(id, e) {
    var t = LIVE ? tails[id] : {out: e.out_tail, err: e.err_tail};
    function one(label, file, text, cls) {
      var body = text === undefined ? "loading\u2026" :
                 text === null ? "(no file yet)" : (text === "" ? "(empty)" : text);
      return h("div", null, h("div", {"class": "muted"}, label + ": ", h("code", null, file || "?")),
               h("pre", {"class": "tail " + cls, "data-file": cls}, body));
    }
    return h("div", {"class": "tails"},
             one("Output", e.out_file, t ? t.out : undefined, "out"),
             one("Error", e.err_file, t ? t.err : undefined, "err"));
  }
  function jobDetails(e, span) {
    var pairs = [["Path", e.path], ["Command", command(e)], ["Run", e.run_id],
                 ["Job", e.task_id || e.step_id || e.job_id], ["Started", stamp(e.started)],
                 ["Stopped", stamp(e.stopped)], ["Detail", e.detail],
                 ["Batch job", e.batch ? "yes" : ""], ["Colocated database", e.colocated ? "yes" : ""]];
    if (e.kind === "shard") pairs.splice(0, 2, ["Address", e.hostname + ":" + e.port],
                                          ["Cluster config", e.conf_file]);
    var kids = [kv(pairs)];
    if (e.params && Object.keys(e.params).length) kids.push(h("div", null, params(e.params)));
    if (e.kind === "shard" && e.clients && e.clients.length) kids.push(clientTable(e.clients));
    kids.push(tailBlock(e.id, e));
    return h("tr", {"class": "details", "data-for": e.id}, h("td", {"colspan": span}, kids));
  }
  function clientTable(clients) {
    var shown = clients.slice(0, 50);
    return h("div", null, h("h3", null, "Connected clients (" + clients.length + ")"),
      h("table", {"class": "clients"}, h("tr", null, h("th", null, "Client id"), h("th", null, "Address")),
        shown.map(function (c) { return h("tr", null, h("td", null, c.client_id), h("td", null, c.address)); })),
      clients.length > shown.length ? h("p", {"class": "muted"}, "+" + (clients.length - shown.length) + " more") : null);
  }
  function entityRows(e, cells) {
    var rows = [h("tr", {"class": "entity " + slug(e.status), "data-id": e.id, "data-name": e.name,
                         "data-status": e.status, "data-kind": e.kind}, cells)];
    if (isOpen(e.id)) rows.push(jobDetails(e, cells.length));
    return rows;
  }
  function head(names) { return h("tr", null, names.map(function (n) { return h("th", null, n); })); }

  function modelsSection(models) {
    if (!models.length) return null;
    return h("section", {"id": "models"}, h("h2", null, "Models (" + models.length + ")"),
      h("table", null, head(["Name", "Status", "Return code", "Started", "Duration", "Command", "Parameters"]),
        models.map(function (e) {
          return entityRows(e, [h("td", null, nameCell(e)), h("td", {"class": "status-cell"}, badge(e.status)),
            h("td", {"class": "rc num"}, rc(e)), h("td", null, time(e.started)), durationCell(e),
            h("td", null, h("code", null, command(e))), h("td", {"class": "params"}, params(e.params))]);
        })));
  }
  function ensembleSection(n) {
    var counts = Object.keys(n.counts).map(function (k) { return n.counts[k] + " " + k; }).join(", ");
    return h("section", {"class": "ensemble", "data-name": n.name},
      h("h2", null, "Ensemble " + n.name + " (" + n.members.length + " members)"),
      h("p", null, h("span", {"class": "muted"}, "Members: "), counts || "none",
        Object.keys(n.params || {}).length ? [h("br"), h("span", {"class": "muted"}, "Parameters: "), params(n.params)] : null),
      h("table", null, head(["Member", "Status", "Return code", "Parameters", "Started", "Duration"]),
        n.members.map(function (e) {
          return entityRows(e, [h("td", null, nameCell(e)), h("td", {"class": "status-cell"}, badge(e.status)),
            h("td", {"class": "rc num"}, rc(e)), h("td", {"class": "params"}, params(e.params)),
            h("td", null, time(e.started)), durationCell(e)]);
        })));
  }
  function last(rows, i) { return rows && rows.length ? rows[rows.length - 1][i] : null; }
  function databaseSection(d) {
    var memSeries = [], cliSeries = [];
    d.shards.forEach(function (sh, i) {
      var c = COLORS[i % COLORS.length];
      memSeries.push({name: sh.name + " used", color: c, pts: (sh.memory || []).map(function (r) { return [r[0], r[1]]; })});
      if (d.shards.length === 1)
        memSeries.push({name: sh.name + " peak", color: COLORS[1], dash: true, pts: (sh.memory || []).map(function (r) { return [r[0], r[2]]; })});
      cliSeries.push({name: sh.name, color: c, pts: sh.client_counts || []});
    });
    return h("section", {"class": "database", "data-name": d.name},
      h("h2", null, "Database " + d.name),
      kv([["Type", d.type], ["Interfaces", (d.interface || []).join(", ")], ["Run", d.run_id],
          ["Shards", Object.keys(d.counts).map(function (k) { return d.counts[k] + " " + k; }).join(", ")]]),
      h("table", {"class": "shards"}, head(["Shard", "Address", "Status", "Return code", "Memory used", "Clients"]),
        d.shards.map(function (e) {
          var used = last(e.memory, 1), n = last(e.client_counts, 1);
          return entityRows(e, [h("td", null, nameCell(e)), h("td", null, e.hostname + ":" + e.port),
            h("td", {"class": "status-cell"}, badge(e.status)), h("td", {"class": "rc num"}, rc(e)),
            h("td", {"class": "num memory"}, used === null ? "" : bytes(used)),
            h("td", {"class": "num clients"}, n === null ? "" : n)]);
        })),
      h("div", {"class": "charts"},
        chart("Memory", "memory", memSeries, bytes),
        chart("Clients", "clients", cliSeries, function (v) { return String(Math.round(v)); })));
  }

  function chart(title, key, series, fmt) {
    var W = 520, H = 180, L = 70, R = 12, T = 12, B = 26;
    var pts = [];
    series.forEach(function (sr) { pts = pts.concat(sr.pts); });
    var fig = h("figure", {"data-chart": key}, h("figcaption", null, title + " over time"));
    if (!pts.length) { add(fig, h("p", {"class": "muted empty"}, "No " + key + " data collected yet")); return fig; }
    var t0 = Math.min.apply(null, pts.map(function (p) { return p[0]; }));
    var t1 = Math.max.apply(null, pts.map(function (p) { return p[0]; }));
    var vmax = Math.max.apply(null, pts.map(function (p) { return p[1]; })) * 1.1 || 1;
    function x(t) { return L + (t1 > t0 ? (t - t0) / (t1 - t0) : 0.5) * (W - L - R); }
    function y(v) { return H - B - (v / vmax) * (H - T - B); }
    var svg = s("svg", {"class": "chart", "data-chart": key, "width": W, "height": H,
                        "viewBox": "0 0 " + W + " " + H, "role": "img", "aria-label": title});
    add(svg, [s("line", {"class": "axis", "x1": L, "y1": T, "x2": L, "y2": H - B}),
              s("line", {"class": "axis", "x1": L, "y1": H - B, "x2": W - R, "y2": H - B}),
              s("text", {"x": L - 6, "y": T + 8, "text-anchor": "end"}, fmt(vmax)),
              s("text", {"x": L - 6, "y": H - B, "text-anchor": "end"}, fmt(0)),
              s("text", {"x": L, "y": H - 8}, time(t0)),
              s("text", {"x": W - R, "y": H - 8, "text-anchor": "end"}, time(t1))]);
    series.forEach(function (sr) {
      if (!sr.pts.length) return;
      var attrs = {"fill": "none", "stroke": sr.color, "stroke-width": 2, "data-series": sr.name,
                   "stroke-dasharray": sr.dash ? "5 4" : null};
      if (sr.pts.length === 1) {
        add(svg, s("circle", {"cx": x(sr.pts[0][0]), "cy": y(sr.pts[0][1]), "r": 3, "fill": sr.color, "data-series": sr.name}));
      } else {
        attrs.points = sr.pts.map(function (p) { return x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1); }).join(" ");
        add(svg, s("polyline", attrs));
      }
    });
    add(fig, [svg, h("div", {"class": "legend"}, series.map(function (sr) {
      return h("span", null, h("i", {"style": "background:" + sr.color}), sr.name);
    }))]);
    return fig;
  }

  function summaryCards(snap) {
    var order = ["Running", "Pending", "Completed", "Failed", "Cancelled", "Unknown"];
    var counts = snap.counts || {};
    var keys = order.filter(function (k) { return counts[k]; }).concat(
      Object.keys(counts).filter(function (k) { return order.indexOf(k) < 0; }));
    var shards = 0;
    snap.databases.forEach(function (d) { shards += d.shards.length; });
    return h("div", {"class": "cards"},
      h("div", {"class": "card"}, h("div", {"class": "n"}, snap.models.length), h("div", {"class": "l"}, "models")),
      h("div", {"class": "card"}, h("div", {"class": "n"}, snap.ensembles.length), h("div", {"class": "l"}, "ensembles")),
      h("div", {"class": "card"}, h("div", {"class": "n"}, snap.databases.length + " / " + shards), h("div", {"class": "l"}, "databases / shards")),
      keys.map(function (k) {
        return h("div", {"class": "card count", "data-status": k}, h("div", {"class": "n"}, counts[k]),
                 h("div", {"class": "l"}, "jobs " + k.toLowerCase()));
      }));
  }
  function experimentLogs(snap) {
    var ex = snap.experiment;
    if (!ex.has_log) return null;  // the driver logs to no file (SmartSim writes one on request)
    var e = {id: "experiment", out_file: ex.out_file, err_file: ex.err_file, out_tail: ex.out_tail, err_tail: ex.err_tail};
    var openNow = isOpen("experiment");
    return h("section", {"id": "experiment-logs"},
      h("h2", null, h("button", {"class": "name", "type": "button", "aria-expanded": openNow,
                                 "onclick": function () { toggle("experiment"); }}, "Experiment log")),
      openNow ? tailBlock("experiment", e) : null);
  }

  function selecting() {
    var sel = window.getSelection ? window.getSelection() : null;
    return !!(sel && !sel.isCollapsed && document.getElementById("app").contains(sel.anchorNode));
  }
  var shown = null;
  function render(force) {
    var app = document.getElementById("app");
    var header = document.getElementById("top");
    if (!snapshot) return;
    // Unchanged data, or text being selected (a copy from a tail): only the times move.
    var key = JSON.stringify([snapshot, tails, Array.from(opened), !!lostSince],
                             function (k, v) { return k === "generated" ? undefined : v; });
    if (!force && shown !== null && (key === shown || selecting())) {
      var updated = document.getElementById("updated");
      if (updated) updated.textContent = "live, updated " + stamp(snapshot.generated);
      refreshDurations();
      return;
    }
    shown = key;
    var ex = snapshot.experiment;
    document.title = "SmartSim: " + ex.name;
    header.replaceChildren(h("h1", {"id": "exp-name"}, ex.name), badge(ex.status),
      h("span", {"class": "meta"}, ex.path), ex.launcher ? h("span", {"class": "meta"}, "launcher: " + ex.launcher) : null,
      h("span", {"class": "updated", "id": "updated"},
        (LIVE ? "live, updated " : "report of ") + stamp(snapshot.generated) +
        (lostSince ? " (dashboard server not answering)" : "")));
    var kids = [];
    if (lostSince) kids.push(h("div", {"class": "banner error"}, "The dashboard server stopped answering at " + stamp(lostSince) + "; retrying."));
    if (!snapshot.found) {
      kids.push(h("div", {"class": "banner"}, "No telemetry yet: waiting for " + snapshot.manifest +
        " (it appears once the experiment starts something with telemetry enabled)."));
    } else {
      kids.push(summaryCards(snapshot), modelsSection(snapshot.models),
                snapshot.ensembles.map(ensembleSection), snapshot.databases.map(databaseSection),
                experimentLogs(snapshot));
      if (!snapshot.models.length && !snapshot.ensembles.length && !snapshot.databases.length)
        kids.push(h("p", {"class": "muted"}, "Nothing launched yet."));
    }
    app.replaceChildren.apply(app, kids.flat(3).filter(Boolean));
  }

  function fetchTail(id) {
    if (!LIVE) return Promise.resolve();
    return fetch("api/tail?id=" + encodeURIComponent(id), {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) { if (t) tails[id] = t; })
      .catch(function () {});
  }
  function poll() {
    fetch("api/snapshot", {cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (snap) {
        snapshot = snap; lostSince = null;
        var ids = opened.has("all") ? allIds() : Array.from(opened);
        return Promise.all(ids.map(fetchTail));
      })
      .catch(function () { if (!lostSince) lostSince = Date.now() / 1000; })
      .then(function () { render(); setTimeout(poll, 2000); });
  }

  if (LIVE) poll(); else render();
})();
"""
