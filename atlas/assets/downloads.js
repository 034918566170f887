// atlas: an artwork page's "Download its analogies" (CSV and JSON), made in the browser from the work's JSON.
//
// A file of each kind per work was half a site's bytes at museum scale (issue 20), so the build writes none:
// the page's links (templates/downloads_links.html) point, without scripts, at the whole collection's table
// and at the work's JSON; this script fetches that JSON, reads it with work_data.js expand() (the one reader
// of its format) and turns both links into Blob downloads holding exactly what atlas/site/downloads.py would
// have written for the work: the "analogies" columns, a row per field, group (sorted) and rank; CSV as UTF-8
// with a byte-order mark and CRLF line ends, quoted as Python's csv module quotes; JSON as atlas/core/jsonio
// writes it ({"columns": [...], "data": [[...], ...]}, compact, a trailing newline), numbers as Python prints
// them (1.0, not 1). tests/test_downloads_browser.py checks both against data/tables/analogies.csv.gz.
(function () {
  "use strict";
  var COLUMNS = ["id", "field", "group", "rank", "neighbour_id", "similarity"];  // downloads.py COLUMNS["analogies"]
  var FIELDS = ["culture", "medium"];  // atlas.core.records.CONDITIONS, in its order

  // Python's sorted() on str: by code point (JavaScript's default sort compares UTF-16 units).
  function byCodePoint(a, b) {
    var x = Array.from(a), y = Array.from(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d) { return d; }
    }
    return x.length - y.length;
  }

  // A float as Python's repr() writes it: "1.0" for whole numbers, exponents as "1e-05" below 1e-4 and from 1e16.
  function pyFloat(x) {
    var abs = Math.abs(x);
    if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
      return x.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
    }
    return Number.isInteger(x) ? x.toFixed(1) : String(x);
  }

  // The rows of downloads.py analogy_tuples: [id, field, group, rank, neighbour_id, similarity].
  function rows(work) {
    var out = [];
    FIELDS.forEach(function (field) {
      var groups = work.analogies[field] || {};
      Object.keys(groups).sort(byCodePoint).forEach(function (group) {
        groups[group].forEach(function (pair, i) { out.push([work.id, field, group, i + 1, pair[0], pair[1]]); });
      });
    });
    return out;
  }

  // One value as text: ranks are integers, similarities floats (Python keeps the two apart, JSON.parse does not).
  function text(value, column) {
    if (value === null || value === undefined) { return ""; }
    if (typeof value === "number") { return column === "similarity" ? pyFloat(value) : String(value); }
    return String(value);
  }

  function csvCell(value) { return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value; }

  function csvText(data) {
    var lines = [COLUMNS].concat(data.map(function (row) {
      return row.map(function (v, i) { return text(v, COLUMNS[i]); });
    }));
    return "\ufeff" + lines.map(function (cells) { return cells.map(csvCell).join(","); }).join("\r\n") + "\r\n";
  }

  function jsonValue(value, column) {
    if (value === null || value === undefined) { return "null"; }
    return typeof value === "number" ? text(value, column) : JSON.stringify(value);
  }

  function jsonText(data) {
    var body = data.map(function (row) {
      return "[" + row.map(function (v, i) { return jsonValue(v, COLUMNS[i]); }).join(",") + "]";
    });
    return '{"columns":' + JSON.stringify(COLUMNS) + ',"data":[' + body.join(",") + "]}\n";
  }

  // Point the paragraph's links at Blobs of the work's analogies; on any failure they keep their fallback.
  function prepare(box) {
    var read = window.atlasWorkData;
    if (!read || !box.dataset.json) { return; }
    fetch(box.dataset.json).then(function (r) { return r.ok ? r.json() : null; }).then(function (doc) {
      var work = doc ? read.expand(doc) : null;  // its record, or its manifest carrying it
      if (!work || work.id !== box.dataset.workDownloads) { return; }
      var data = rows(work), stem = read.slug(work.id) + "-analogies";
      var made = { csv: [csvText(data), "text/csv;charset=utf-8"], json: [jsonText(data), "application/json"] };
      box.querySelectorAll("a[data-kind]").forEach(function (a) {
        var file = made[a.dataset.kind];
        a.href = URL.createObjectURL(new Blob([file[0]], { type: file[1] }));
        a.download = stem + "." + a.dataset.kind;
      });
      var fallback = box.querySelector(".downloads-fallback");
      if (fallback) { fallback.hidden = true; }
      box.setAttribute("data-ready", "");
    }).catch(function () { /* the links keep the whole table and the work's JSON */ });
  }

  document.querySelectorAll("[data-work-downloads]").forEach(prepare);
  window.atlasDownloads = { rows: rows, csvText: csvText, jsonText: jsonText, pyFloat: pyFloat };
})();
