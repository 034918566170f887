/* Client-side search over the shards written by atlas/search_index.py (vanilla ES2019, no libraries).
 *
 * A query is split into tokens by the same rules as the index (NFKD, no accents, lower case, runs of
 * letters and digits, each other symbol such as an emoji on its own). A token of at least `prefix` characters loads only the shard named by its first
 * `prefix` characters and matches every indexed token that starts with it; shorter tokens must match a
 * whole one-character token. Results are the works matching every token, shown as thumbnails; their
 * display data comes from the docs chunk files, loaded only for the results shown. The query is kept in
 * the URL (?q=), so a search can be linked and the back button restores it. Everything is a file of the
 * site: it works offline and on any static host. Results come LIMIT at a time: "Show more" appends the
 * next ones and moves the focus to the first of them. When the index cannot be loaded the old results are
 * cleared, so no stale list stands under the error.
 *
 * Characters are code points, as in Python: a JS string counts UTF-16 units, so a character beyond
 * U+FFFF (CJK extension B, emoji) would be two "characters" to .length and .slice. Tokens are split with
 * the `u` regex flag and shard names taken with Array.from; tests/test_hostile_values.py runs these
 * functions under node against the Python tokenizer.
 */
(function () {
  'use strict';

  const SAFE = /[A-Za-z0-9_-]/;

  function tokens(text) {
    const plain = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    return plain.match(/[\p{L}\p{N}]+|\p{So}/gu) || [];
  }

  /** atlas.site.urls.encode: keep A-Z a-z 0-9 _ -, write every other UTF-8 byte as ~XX. */
  function slug(text) {
    let out = '';
    for (const byte of new TextEncoder().encode(text)) {
      const ch = String.fromCharCode(byte);
      out += byte < 128 && SAFE.test(ch) ? ch : '~' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
    return out;
  }

  /** The shard file name of a token: its first `prefix` code points, encoded (search_index.shard_of). */
  function shardName(token, prefix) {
    return slug(Array.from(token).slice(0, prefix).join(''));
  }

  /** Whether a token is shorter than `prefix` code points (then it must match a whole token). */
  function isShort(token, prefix) {
    return Array.from(token).length < prefix;
  }

  if (typeof document === 'undefined') { // under node, for the tests: the rules only
    if (typeof module === 'object') module.exports = { tokens, slug, shardName, isShort };
    return;
  }
  const form = document.querySelector('form.search-form[data-index]');
  if (!form) return;
  const index = JSON.parse(form.dataset.index);
  const input = form.querySelector('input[name="q"]');
  const status = document.getElementById('search-status');
  const results = document.querySelector('.search-results');
  const shardNames = new Set(index.shards);
  const shards = new Map(); // name -> Promise<{token: [numbers]}>
  const chunks = new Map(); // number -> Promise<[doc]>
  const LIMIT = 60;
  let generation = 0;
  let timer = 0;
  let current = { hits: [], shown: 0, query: '' }; // the last search's matches and how many are on the page
  const more = document.createElement('button');
  more.type = 'button';
  more.className = 'search-more';
  more.textContent = `Show ${LIMIT} more`;
  more.hidden = true;
  results.after(more);

  function load(map, key, url) {
    if (!map.has(key)) {
      map.set(key, fetch(url).then((r) => {
        if (!r.ok) throw new Error(`${url}: ${r.status}`);
        return r.json();
      }));
    }
    return map.get(key);
  }

  /** Work numbers matching one query token (a sorted array), or null when the token is ignored. */
  async function match(token) {
    const short = isShort(token, index.prefix);
    const name = shardName(token, index.prefix);
    if (!shardNames.has(name)) return short ? null : [];
    const shard = await load(shards, name, `${index.base}${name}.json`);
    if (short) return shard[token] || [];
    const found = new Set();
    for (const [t, numbers] of Object.entries(shard)) {
      if (t.startsWith(token)) numbers.forEach((k) => found.add(k));
    }
    return Array.from(found).sort((a, b) => a - b);
  }

  async function docs(numbers) {
    const need = Array.from(new Set(numbers.map((k) => Math.floor(k / index.chunk))));
    const loaded = await Promise.all(need.map((c) => load(chunks, c, `${index.base}docs-${c}.json`)));
    const byChunk = new Map(need.map((c, i) => [c, loaded[i]]));
    return numbers.map((k) => byChunk.get(Math.floor(k / index.chunk))[k % index.chunk]);
  }

  function card(doc) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.className = 'card';
    // "Journey to..." (atlas/templates/journey_entry.html): a result opens the journey from that work to it.
    const from = new URL(window.location.href).searchParams.get('journey_from');
    a.href = from && doc.id ? new URL(`../journey/?from=${encodeURIComponent(from)}&to=${encodeURIComponent(doc.id)}`,
      window.location.href).href : doc.url;
    const img = document.createElement('img');
    img.src = doc.thumb;
    img.alt = `${doc.title}, ${doc.byline}`;
    img.loading = 'lazy';
    const title = document.createElement('span');
    title.className = 'card-title';
    title.textContent = doc.title;
    const meta = document.createElement('span');
    meta.className = 'card-meta';
    meta.textContent = [doc.byline, doc.meta].filter(Boolean).join(' · ');
    a.append(img, title, meta);
    li.append(a);
    return li;
  }

  function clear() {
    results.textContent = '';
    more.hidden = true;
    current = { hits: [], shown: 0, query: '' };
  }

  function describe() {
    const { hits, shown, query } = current;
    const count = hits.length.toLocaleString('en');
    status.textContent = hits.length === 0 ? `No works match “${query.trim()}”.`
      : hits.length > shown ? `${count} works match “${query.trim()}”; the first ${shown.toLocaleString('en')} are shown.`
        : `${count} ${hits.length === 1 ? 'work matches' : 'works match'} “${query.trim()}”.`;
  }

  /** Append the next LIMIT results of the current search; returns the first new card, if any. */
  async function showNext() {
    const mine = generation;
    const next = current.hits.slice(current.shown, current.shown + LIMIT);
    const shown = await docs(next);
    if (mine !== generation) return null;
    const cards = shown.map(card);
    cards.forEach((li) => results.append(li));
    current.shown += next.length;
    more.hidden = current.shown >= current.hits.length;
    describe();
    return cards.length ? cards[0].querySelector('a') : null;
  }

  more.addEventListener('click', () => {
    showNext().then((first) => { if (first) first.focus(); }, failed);
  });

  function failed() {
    clear();
    status.textContent = 'The search index could not be loaded.';
  }

  async function search(query) {
    const mine = ++generation;
    const words = tokens(query);
    if (!words.length) {
      clear();
      status.textContent = query.trim() ? 'Type letters or digits.' : '';
      return;
    }
    const lists = (await Promise.all(words.map(match))).filter((l) => l !== null);
    if (mine !== generation) return;
    if (!lists.length) {
      clear();
      status.textContent = `Keep typing: a word needs at least ${index.prefix} letters.`;
      return;
    }
    let hits = lists[0];
    for (const other of lists.slice(1)) {
      const keep = new Set(other);
      hits = hits.filter((k) => keep.has(k));
    }
    const first = await docs(hits.slice(0, LIMIT));
    if (mine !== generation) return;
    clear();
    current = { hits, shown: 0, query };
    current.shown = first.length;
    first.forEach((doc) => results.append(card(doc)));
    more.hidden = current.shown >= hits.length;
    describe();
  }

  function run(push) {
    const q = input.value;
    const url = new URL(window.location.href);
    if (q) url.searchParams.set('q', q);
    else url.searchParams.delete('q');
    if (url.href !== window.location.href) history[push ? 'pushState' : 'replaceState'](null, '', url);
    search(q).catch(failed);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(false), 120);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    run(true);
  });
  window.addEventListener('popstate', () => {
    input.value = new URL(window.location.href).searchParams.get('q') || '';
    search(input.value).catch(failed);
  });
  input.value = new URL(window.location.href).searchParams.get('q') || input.value;
  if (input.value) search(input.value).catch(failed);
})();
