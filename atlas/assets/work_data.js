// atlas: a work's JSON by id (data/work/<segment>.json, written by the build), for the pages that fill
// themselves in the browser (the pair viewer, the worksheet). A work's segment is slug(id) below, except for
// the ids the build had to give another segment (a device name, a very long id, two ids differing only in
// case: atlas/site/urls.py): the build lists those in data/path_names.json, whose URL the page passes in.
//
// The file is compact (schema 2, written by atlas/site/work_json.py, whose docstring is the schema): one- or
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

  // A compact record with its long names: every field present ("" or null when left out).
  function expand(record) {
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

  // reader(base, namesUrl) gives id -> a promise of that work's JSON (expanded), or of null when the atlas has no such
  // work. path_names.json is read once, by the first call. A case-insensitive host serves data/work/Ab1.json
  // for ab1.json: only the work asked for will do.
  function reader(base, namesUrl) {
    var names = namesUrl ? fetch(namesUrl).then(function (r) { return r.ok ? r.json() : {}; }, function () { return {}; })
      : Promise.resolve({});
    return function (id) {
      return names.then(function (known) {
        var works = known.work || {};
        var segment = Object.prototype.hasOwnProperty.call(works, id) ? works[id] : slug(id);
        return fetch(base + "data/work/" + segment + ".json");
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (w) { return w && w.id === id ? expand(w) : null; });
    };
  }

  window.atlasWorkData = { slug: slug, reader: reader, expand: expand };
})();
