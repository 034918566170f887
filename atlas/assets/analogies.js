/* The analogy switcher on an artwork page (vanilla ES2019, no libraries).
 *
 * Without this script every analogy row is shown, and each carries an id #<field>-<slug(group)>
 * (e.g. #culture-Chinese), so a link to that fragment scrolls to it. With it, the page shows one
 * condition at a time: buttons choose the field (culture / medium) and the group, the URL fragment follows
 * with history.pushState (the back button steps back through the choices), and links to the analogies
 * keep the fragment, so stepping from work to work stays in the same condition.
 *
 * The page names each field as site.yaml does (data-field-name: "Nationality", "Style") and marks the row
 * to open with (data-default: the group of the work's closest match outside its own group; a section's
 * data-default: that field's). The switcher sits under the shown section's heading, and a pressed button's
 * replacement takes the keyboard focus, so arrowing and tabbing go on from where the visitor was.
 *
 * The page pictures only a few groups (render.groups_shown); the others are one text link each in a closed
 * <details> list, for readers without scripts. This script turns each of those into an empty row with the
 * same id, offers it in the switcher like any other, and draws its cards the first time it is chosen, from
 * the work's JSON and its analogies' JSON (read through work_data.js, the one reader of that format).
 */
(function () {
  'use strict';

  const box = document.querySelector('.artwork-analogies');
  const data = box ? box.dataset : {};
  const readWork = window.atlasWorkData && data.workId ? window.atlasWorkData.reader(data.workData, data.names) : null;
  if (readWork) document.querySelectorAll('section.analogies .more-groups li[id]').forEach(placeholder);
  const rows = Array.from(document.querySelectorAll('.analogy-row[data-field][id]'));
  if (!rows.length) return;
  const sections = Array.from(document.querySelectorAll('section.analogies'));
  const FIELDS = {};
  sections.forEach((s) => { FIELDS[s.dataset.field] = s.dataset.fieldName || s.dataset.field; });
  const byId = new Map(rows.map((r) => [r.id, r]));

  // The switcher: a row of field buttons, then the groups of the chosen field.
  const panel = document.createElement('nav');
  panel.className = 'switcher';
  panel.setAttribute('aria-label', 'Choose the condition to compare within');
  const fieldBar = document.createElement('div');
  fieldBar.className = 'switcher-fields';
  const groupBar = document.createElement('div');
  groupBar.className = 'switcher-groups';
  const heading = document.createElement('p');
  heading.className = 'switcher-heading';
  heading.setAttribute('aria-live', 'polite');
  panel.append(fieldBar, groupBar, heading);

  /** The button standing for the same choice after a rebuild takes the focus its old one had. */
  let refocus = null;

  function button(label, pressed, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.setAttribute('aria-pressed', pressed ? 'true' : 'false');
    b.addEventListener('click', () => { refocus = b.parentNode === fieldBar ? fieldBar : groupBar; onClick(); });
    return b;
  }

  function fallback(field) {
    const section = sections.find((s) => s.dataset.field === field);
    const marked = field ? section && byId.get(section.dataset.default) : rows.find((r) => r.hasAttribute('data-default'));
    return marked || rows.find((r) => !field || r.dataset.field === field) || rows[0];
  }

  function current() {
    const id = decodeURIComponent(window.location.hash.slice(1));
    return byId.get(id) || byId.get(window.location.hash.slice(1)) || null;
  }

  /** Show one row, rebuild the buttons, and point analogy links at the same condition. */
  function show(row) {
    shown = row;
    if (row.hasAttribute('data-pending')) fill(row);
    rows.forEach((r) => {
      r.hidden = r !== row;
      r.classList.toggle('is-shown', r === row);
    });
    sections.forEach((s) => { s.hidden = !s.contains(row); });
    const section = sections.find((s) => s.contains(row));
    const title = section.querySelector('h2');
    if (panel.previousElementSibling !== title) title.after(panel);
    const field = row.dataset.field;
    fieldBar.textContent = '';
    Object.keys(FIELDS).forEach((f) => {
      if (!rows.some((r) => r.dataset.field === f)) return;
      fieldBar.append(button(FIELDS[f], f === field, () => choose(f === field ? row : fallback(f))));
    });
    groupBar.textContent = '';
    rows.filter((r) => r.dataset.field === field).sort(byGroup).forEach((r) => {
      groupBar.append(button(r.dataset.label || r.dataset.group, r === row, () => choose(r)));
    });
    heading.textContent = `The closest works in ${FIELDS[field].toLowerCase()} group “${row.dataset.label || row.dataset.group}”. Select one to go on from it in the same group.`;
    if (refocus) {
      const pressed = refocus.querySelector('button[aria-pressed="true"]');
      if (pressed) pressed.focus();
      refocus = null;
    }
    row.querySelectorAll('a.card').forEach((a) => {
      const url = new URL(a.href, window.location.href);
      url.hash = row.id;
      a.href = url.pathname + url.search + url.hash;
    });
  }

  function byGroup(a, b) {
    return a.dataset.group < b.dataset.group ? -1 : a.dataset.group > b.dataset.group ? 1 : 0;
  }

  /** An empty row for a group the page does not picture, drawn when first chosen; `href`: its group page,
   * `label`: the group's name as the page shows it (cleaned: "JAPAN" reads "Japan"; the JSON keeps the raw group). */
  function emptyRow(section, group, href, label) {
    const row = document.createElement('div');
    const head = document.createElement('h3');
    const strip = document.createElement('ol');
    row.className = 'analogy-row';
    row.id = `${section.dataset.field}-${window.atlasWorkData.slug(group)}`;
    row.dataset.field = section.dataset.field;
    row.dataset.group = group;
    row.dataset.label = label || group;
    row.setAttribute('data-pending', '');
    if (href) {
      const link = document.createElement('a');
      link.href = href;
      link.textContent = row.dataset.label;
      head.append(link);
    } else {
      head.textContent = row.dataset.label;
    }
    strip.className = 'strip';
    row.append(head, strip);
    const list = section.querySelector('.more-groups');
    if (list) list.before(row); else section.append(row);
    return row;
  }

  /** A listed group's row: the list item (group link, then its top analogy) gives up its id to it. */
  function placeholder(li) {
    const section = li.closest('section.analogies');
    const link = li.querySelector('a');
    li.removeAttribute('id');
    emptyRow(section, li.dataset.group || link.textContent, link.getAttribute('href'), link.textContent);
    li.closest('.more-groups').hidden = true; // every group is in the switcher now
  }

  /** Sections marked data-unlisted name only their closest groups: the others come from the work's JSON. */
  function addUnlisted() {
    const partial = sections.filter((s) => s.hasAttribute('data-unlisted'));
    if (!partial.length || !readWork) return;
    own = own || readWork(data.workId);
    own.then((w) => {
      partial.forEach((section) => {
        Object.keys((w && w.analogies[section.dataset.field]) || {}).forEach((group) => {
          const id = `${section.dataset.field}-${window.atlasWorkData.slug(group)}`;
          if (!byId.has(id)) {
            const row = emptyRow(section, group, '');
            rows.push(row);
            byId.set(id, row);
          }
        });
      });
      const late = current();
      show(late || shown);
      if (late && !linked) panel.scrollIntoView({ block: 'start' }); // a deep link to a group the page did not name
    });
  }

  let own = null; // a promise of the work's JSON, fetched once
  let scale = null;
  let shown = null; // the row on show
  /** The share of the collection's pairs scoring at most `score`, as atlas.analysis.similarity_scale (np.interp). */
  function percentile(scores, score) {
    const n = scores.length;
    if (score < scores[0]) return 0;
    if (score >= scores[n - 1]) return 100;
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (scores[mid] <= score) lo = mid; else hi = mid;
    }
    const step = 100 / (n - 1);
    const span = scores[hi] - scores[lo];
    return lo * step + (span > 0 && scores[lo] !== score ? ((score - scores[lo]) / span) * step : 0);
  }
  function note(table, score) {
    if (!table || !table.scores || !table.scores.length) return `similarity ${score.toFixed(2)}`;
    return `closer than ${percentile(table.scores, score).toFixed(1)}% of all pairs`;
  }

  /** One analogy's card, as macros.html `card` draws it, its "Side by side" link (the pair's pre-rendered page
   * when the work's JSON names one, else the pair viewer) and its "Why this match" (templates/why_match.html),
   * from the work's JSON: `own` is this page's work, `rank` the card's place in the group's list. */
  function card(w, score, table, row, own, rank) {
    const item = document.createElement('li');
    const a = document.createElement('a');
    const img = document.createElement('img');
    const parts = [['card-title', w.title], ['card-meta', [w.culture_raw || w.culture, w.medium_raw || w.medium].filter(Boolean).join(' · ')],
      ['card-note', note(table, score)]];
    const url = new URL(w.url, window.location.href);
    url.hash = row.id;
    a.className = 'card';
    a.href = url.pathname + url.search + url.hash;
    img.src = w.thumb;
    img.alt = [w.title, [w.artist, w.date].filter(Boolean).join(', ')].filter(Boolean).join(', ');
    img.loading = 'lazy';
    a.append(img);
    parts.forEach(([cls, text]) => {
      const span = document.createElement('span');
      span.className = cls;
      span.textContent = text;
      a.append(span);
    });
    const pair = document.createElement('a');
    const hidden = document.createElement('span');
    const pages = (own && own.pair_pages) || {};
    pair.className = 'pair-link';
    pair.href = Object.prototype.hasOwnProperty.call(pages, w.id) ? pages[w.id]
      : `${data.base || '/'}pair/?a=${encodeURIComponent(data.workId)}&b=${encodeURIComponent(w.id)}`;
    hidden.className = 'visually-hidden';
    hidden.textContent = ` with ${w.title}`;
    pair.append('Side by side', hidden);
    item.append(a, pair);
    const why = whyMatch(own, w, row, rank);
    if (why) item.append(why);
    return item;
  }

  /** The card's closed "Why this match", as templates/why_match.html why_card draws it (its blocks from
   * work_data.js whyBlocks, shared with the pair viewer); null when the atlas has neither part shares nor
   * both heat maps for the pair. */
  function whyMatch(own, w, row, rank) {
    const read = window.atlasWorkData;
    if (!own || !read || !read.whyShares) return null;
    const blocks = read.whyBlocks(read.whyShares(own, row.dataset.field, row.dataset.group, rank), own, w, { lazy: true });
    if (!blocks.length) return null;
    const box = document.createElement('details');
    const summary = document.createElement('summary');
    const hidden = document.createElement('span');
    box.className = 'why-match';
    hidden.className = 'visually-hidden';
    hidden.textContent = ` with ${w.title}`;
    summary.append('Why this match', hidden);
    box.append(summary, ...blocks);
    return box;
  }

  /** Draw a placeholder row's cards from the JSON; data-ready marks it done (or failed, with a message). */
  function fill(row) {
    row.removeAttribute('data-pending');
    const strip = row.querySelector('ol');
    strip.setAttribute('aria-busy', 'true');
    own = own || readWork(data.workId);
    scale = scale || (data.scale ? fetch(data.scale).then((r) => (r.ok ? r.json() : null), () => null) : Promise.resolve(null));
    own.then((w) => {
      const pairs = ((w && w.analogies[row.dataset.field]) || {})[row.dataset.group] || [];
      return Promise.all([scale, Promise.all(pairs.map((p) => readWork(p[0])))]).then(([table, others]) => {
        others.forEach((other, i) => { if (other) strip.append(card(other, pairs[i][1], table, row, w, i)); });
      });
    }).catch(() => {
      const p = document.createElement('p');
      p.textContent = 'These analogies could not be loaded; the group page lists its works.';
      row.append(p);
    }).finally(() => {
      strip.removeAttribute('aria-busy');
      row.setAttribute('data-ready', '');
    });
  }

  function choose(row) {
    if (window.location.hash !== '#' + row.id) history.pushState({ analogy: row.id }, '', '#' + row.id);
    show(row);
  }

  /** A server-drawn card's "Why this match" holds no heat maps (templates/why_match.html why_card: each would
   * repeat the page's own grid in every card); they are drawn from the two works' JSON when it is first opened.
   * A card whose pair has heat maps and no shares has no "Why this match" in the page at all (<li
   * data-why-maps>): it gets one here, closed, as why_card draws it. */
  function whyMaps(box) {
    box.addEventListener('toggle', () => {
      if (!box.open || box.dataset.drawn !== undefined || !readWork) return;
      box.dataset.drawn = '';
      own = own || readWork(data.workId);
      Promise.all([own, readWork(box.dataset.whyMaps)]).then(([a, b]) => {
        const blocks = a && b ? window.atlasWorkData.whyBlocks(null, a, b, { note: false }) : [];
        const note = box.querySelector('.why-maps-note');
        if (note) note.replaceWith(...blocks); else box.append(...blocks);
      }).catch(() => {});
    });
  }
  function whyCard(item) {
    const box = document.createElement('details');
    const summary = document.createElement('summary');
    const hidden = document.createElement('span');
    const title = item.querySelector('.card-title');
    box.className = 'why-match';
    box.dataset.whyMaps = item.dataset.whyMaps;
    hidden.className = 'visually-hidden';
    hidden.textContent = ` with ${title ? title.textContent : ''}`;
    summary.append('Why this match', hidden);
    box.append(summary);
    item.append(box);
    return box;
  }
  document.querySelectorAll('details.why-match[data-why-maps]').forEach(whyMaps);
  if (readWork) document.querySelectorAll('li[data-why-maps]').forEach((item) => whyMaps(whyCard(item)));

  window.addEventListener('popstate', () => show(current() || fallback()));
  window.addEventListener('hashchange', () => show(current() || fallback()));
  const linked = current();
  show(linked || fallback());
  if (linked) panel.scrollIntoView({ block: 'start' }); // the row was hidden when the browser looked for it
  addUnlisted();
})();
