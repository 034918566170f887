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
 */
(function () {
  'use strict';

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
    rows.filter((r) => r.dataset.field === field).forEach((r) => {
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

  function choose(row) {
    if (window.location.hash !== '#' + row.id) history.pushState({ analogy: row.id }, '', '#' + row.id);
    show(row);
  }

  window.addEventListener('popstate', () => show(current() || fallback()));
  window.addEventListener('hashchange', () => show(current() || fallback()));
  const linked = current();
  show(linked || fallback());
  if (linked) panel.scrollIntoView({ block: 'start' }); // the row was hidden when the browser looked for it
})();
