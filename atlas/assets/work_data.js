// atlas: a work's JSON by id (data/work/<segment>.json, written by the build), for the pages that fill
// themselves in the browser (the pair viewer, the worksheet). A work's segment is slug(id) below, except for
// the ids the build had to give another segment (a device name, a very long id, two ids differing only in
// case: atlas/site/urls.py): the build lists those in data/path_names.json, whose URL the page passes in.
(function () {
  "use strict";
  var SAFE = /[A-Za-z0-9_-]/;

  // The same reversible tilde-encoding as atlas/site/urls.py encode(): UTF-8 bytes outside A-Z a-z 0-9 _ - become ~XX.
  function slug(id) {
    var bytes = new TextEncoder().encode(id), out = "";
    for (var i = 0; i < bytes.length; i++) {
      var ch = String.fromCharCode(bytes[i]);
      out += bytes[i] < 128 && SAFE.test(ch) ? ch : "~" + (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16).toUpperCase();
    }
    return out;
  }

  // reader(base, namesUrl) gives id -> a promise of that work's JSON, or of null when the atlas has no such
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
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (w) { return w && w.id === id ? w : null; });
    };
  }

  window.atlasWorkData = { slug: slug, reader: reader };
})();
