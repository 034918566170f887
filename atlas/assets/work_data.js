// atlas: a work's JSON record by id, for the pages that fill themselves in the browser (the artwork page's
// switcher and downloads, the pair viewer, the worksheet). Where the record lies is the build's choice
// (atlas/site/urls.py work_data_pattern): inside the work's IIIF manifest (iiif/<segment>/manifest.json,
// under the extension property "atlas") when the atlas publishes manifests, the default, else in
// data/work/<segment>.json. The page passes that place in as one URL pattern with "{segment}" (its
// data-work-data attribute); reader() fills it in and expand() takes either document. A work's segment is
// slug(id) below, except for the ids the build had to give another segment (a device name, a very long id,
// two ids differing only in case: atlas/site/urls.py): the build lists those in data/path_names.json, whose
// URL the page passes in too.
//
// The record is compact (schema 2, written by atlas/site/work_json.py, whose docstring is the schema): one- or
// two-letter keys, empty values left out, each group's analogies as [[ids], [scores]]. expand() below is the
// only place that reads those short keys: every script gets the long names, with `analogies` as
// {culture|medium: {group: [[id, score], ...]}}. To add a field, add it to FIELDS here and in work_json.py.
(function () {
  "use strict";
  var SAFE = /[A-Za-z0-9_-]/;
  var FIELDS = { id: "id", title: "t", artist: "a", date: "d", culture: "c", medium: "m", culture_raw: "cr",
    medium_raw: "mr", date_begin: "db", date_end: "de", credit: "cl", rights: "r", source_url: "s", url: "u",
    thumb: "th", image: "im" };
  var CONDITIONS = { culture: "c", medium: "m" };
  var NESTED = { why: "w", pair_pages: "p" };  // passed through as they are, left out when absent
  var EXTENSION = "atlas";  // the manifest's property that holds the record (atlas/site/iiif_out.py)

  // A compact record, or a IIIF manifest carrying one under "atlas", with its long names: every field present
  // ("" or null when left out).
  function expand(document) {
    var carried = document && document[EXTENSION];
    var record = carried && typeof carried === "object" ? carried : document;
    var out = {}, lists = record.n || {};
    Object.keys(FIELDS).forEach(function (name) {
      var v = record[FIELDS[name]];
      out[name] = v === undefined ? (name === "date_begin" || name === "date_end" ? null : "") : v;
    });
    out.analogies = {};
    Object.keys(CONDITIONS).forEach(function (field) {
      var groups = lists[CONDITIONS[field]];
      if (!groups) { return; }
      out.analogies[field] = {};
      Object.keys(groups).forEach(function (group) {
        var ids = groups[group][0], scores = groups[group][1];
        out.analogies[field][group] = ids.map(function (id, i) { return [id, scores[i]]; });
      });
    });
    Object.keys(NESTED).forEach(function (name) { if (record[NESTED[name]] !== undefined) { out[name] = record[NESTED[name]]; } });
    return out;
  }

  // The same reversible tilde-encoding as atlas/site/urls.py encode(): UTF-8 bytes outside A-Z a-z 0-9 _ - become ~XX.
  function slug(id) {
    var bytes = new TextEncoder().encode(id), out = "";
    for (var i = 0; i < bytes.length; i++) {
      var ch = String.fromCharCode(bytes[i]);
      out += bytes[i] < 128 && SAFE.test(ch) ? ch : "~" + (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16).toUpperCase();
    }
    return out;
  }

  // reader(pattern, namesUrl) gives id -> a promise of that work's record (expanded), or of null when the atlas has
  // no such work; `pattern` is the page's data-work-data, a URL with "{segment}". path_names.json is read once, by
  // the first call. A case-insensitive host serves iiif/Ab1/manifest.json for ab1: only the work asked for will do.
  function reader(pattern, namesUrl) {
    var names = namesUrl ? fetch(namesUrl).then(function (r) { return r.ok ? r.json() : {}; }, function () { return {}; })
      : Promise.resolve({});
    return function (id) {
      return names.then(function (known) {
        var works = known.work || {};
        var segment = Object.prototype.hasOwnProperty.call(works, id) ? works[id] : slug(id);
        return fetch(pattern.split("{segment}").join(segment));
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (doc) {
        var w = doc ? expand(doc) : null;
        return w && w.id === id ? w : null;
      });
    };
  }

  // "Why this match" of the analogy at `index` of the work's list for (field, group): its "why" key holds,
  // aligned with those lists, each feature family's share of the score in thousandths (atlas/site/
  // similarity_views.py). Returns [{family, share, percent}] largest first, percent of the positive total
  // rounded half up as atlas/analysis/match_parts.py describe() does; null when the atlas has none for it.
  function whyShares(work, field, group, index) {
    var why = work.why || {}, rows = (why[field] || {})[group] || [], row = rows[index];
    if (!why.parts || !row || !row.length) { return null; }
    var positive = row.reduce(function (sum, s) { return sum + Math.max(s, 0); }, 0) || 1;
    return why.parts.map(function (family, i) {
      return { family: family, share: row[i] / 1000, percent: Math.floor(100 * Math.max(row[i], 0) / positive + 0.5), at: row[i] };
    }).sort(function (x, y) { return y.at - x.at || (x.family < y.family ? -1 : x.family > y.family ? 1 : 0); });
  }
  // Whether the atlas splits scores into parts at all (weights-free features), and the work's heat map.
  function hasParts(work) { return !!(work.why && work.why.parts); }
  function heatmap(work) { return work.why && work.why.heatmap ? { url: work.why.heatmap, untrained: !!work.why.untrained } : null; }
  // A heat map as templates/why_match.html `heat` draws it: the grid (a data: URI of one pixel per cell) as an
  // <img> over the work's large thumbnail, which the stylesheet crops to the centre square the network saw.
  function heatFigure(work, alt, lazy) {
    var box = element("span", "heat"), base = element("img", "heat-base"), grid = element("img", "heat-grid");
    base.src = work.image;
    base.alt = "";
    if (lazy) { base.loading = "lazy"; }
    grid.src = heatmap(work).url;
    grid.alt = alt;
    box.appendChild(base);
    box.appendChild(grid);
    return box;
  }

  function element(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }
  // The blocks of "Why this match" for works a and b, as templates/why_match.html draws them: the families'
  // shares (whyShares above; null: none) and, when both works have a heat map, the two maps side by side and
  // what they show (`note`: false where a page says it once). The pair viewer and the artwork page's switcher
  // both draw them from here.
  function whyBlocks(shares, a, b, options) {
    var opts = options || {}, blocks = [], maps = [heatmap(a), heatmap(b)];
    if (shares) {
      blocks.push(element("p", "why-parts", shares.some(function (s) { return s.at > 0; })
        ? "What they share: " + shares.map(function (s) { return s.family + " " + s.percent + "%"; }).join(", ") + " of the score."
        : "No feature family finds these two more alike than an average pair of works in this collection."));
    }
    if (maps[0] && maps[1]) {
      var row = element("div", "why-heatmaps");
      [a, b].forEach(function (w, i) {
        var fig = element("figure");
        fig.appendChild(heatFigure(w, "Heat map over " + w.title, opts.lazy));
        fig.appendChild(element("figcaption", "", w.title));
        row.appendChild(fig);
      });
      blocks.push(row);
      if (opts.note !== false) {
        var note = element("p", "why-note", "Brighter where the network's features respond most in each work.");
        if (maps[0].untrained) {
          note.appendChild(document.createTextNode(" "));
          note.appendChild(element("strong", "untrained", "This network is untrained: the maps show where random filters respond, not what a trained network looks at."));
        }
        blocks.push(note);
      }
    }
    return blocks;
  }

  window.atlasWorkData = { slug: slug, reader: reader, expand: expand, whyShares: whyShares, hasParts: hasParts, heatmap: heatmap,
    heatFigure: heatFigure, whyBlocks: whyBlocks };
})();
