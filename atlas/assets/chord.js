/* The chord diagram made interactive (vanilla ES2019, no libraries).
 *
 * The SVG is drawn at build time (atlas/chord.py) and works without this script: arcs link to the culture
 * pages, and the list under the diagram links every pair of cultures. This script adds: pointing at (or
 * focusing) a culture highlights its links and names its strongest ones; a ribbon opens the page of the
 * closest pairs of works between its two cultures; a checkbox keeps only the top quartile of links.
 * Link data (strength, top quartile, URL per pair) comes from the .chord[data-chord] attribute.
 * What is pointed at is also written in a tip beside the mouse pointer (the status line under the diagram,
 * which screen readers hear, can be below the first screen); the tip is aria-hidden, as it repeats it.
 */
(function () {
  'use strict';

  const root = document.querySelector('.chord[data-chord]');
  const svg = root && root.querySelector('svg');
  if (!svg) return;
  const info = JSON.parse(root.dataset.chord);
  const status = document.querySelector('.chord-status');
  const controls = document.querySelector('.chord-controls');
  const STRONGEST = 3;

  const links = new Map(info.links.map((l) => [`${l.i}-${l.j}`, l]));
  const ribbons = Array.from(svg.querySelectorAll('.chord-ribbon'));
  ribbons.forEach((path) => {
    const link = links.get(`${path.dataset.a}-${path.dataset.b}`);
    if (!link) return;
    path.dataset.url = link.url;
    path.classList.toggle('minor', !link.top);
  });

  const percent = (v) => `${Math.round(v * 100)}%`;
  const tip = document.createElement('div');
  tip.className = 'chord-tip';
  tip.setAttribute('aria-hidden', 'true');
  tip.hidden = true;
  root.append(tip);
  let pointer = null; // the mouse's place in root, while it is over the diagram

  function placeTip() {
    if (!pointer || !tip.textContent) { tip.hidden = true; return; }
    tip.hidden = false;
    const room = document.documentElement.clientWidth - root.getBoundingClientRect().left; // to the window's edge
    const left = Math.min(pointer.x + 16, Math.max(0, room - tip.offsetWidth - 8));
    tip.style.left = `${left}px`;
    tip.style.top = `${pointer.y + 16}px`;
  }

  svg.addEventListener('mousemove', (e) => {
    const box = root.getBoundingClientRect();
    pointer = { x: e.clientX - box.left, y: e.clientY - box.top };
    placeTip();
  });
  svg.addEventListener('mouseleave', () => { pointer = null; placeTip(); });

  function say(text) {
    if (status) status.textContent = text;
    tip.textContent = text;
    placeTip();
  }

  function clear() {
    svg.classList.remove('is-focused');
    ribbons.forEach((p) => p.classList.remove('linked', 'strong'));
    svg.querySelectorAll('.chord-arc.active').forEach((a) => a.classList.remove('active'));
    say('');
  }

  /** Highlight culture i: its ribbons, and the STRONGEST of them most. */
  function focusCulture(i) {
    clear();
    svg.classList.add('is-focused');
    const arc = svg.querySelector(`.chord-arc[data-i="${i}"]`);
    if (arc) arc.classList.add('active');
    const topOnly = svg.classList.contains('top-only');
    const mine = ribbons
      .filter((p) => Number(p.dataset.a) === i || Number(p.dataset.b) === i)
      .filter((p) => !(topOnly && p.classList.contains('minor')))
      .map((p) => [p, links.get(`${p.dataset.a}-${p.dataset.b}`)])
      .sort((x, y) => y[1].value - x[1].value);
    mine.forEach(([p], k) => {
      p.classList.add('linked');
      if (k < STRONGEST) p.classList.add('strong');
    });
    const names = mine.slice(0, STRONGEST).map(([, l]) => `${l.i === i ? l.b : l.a} (${percent(l.value)})`);
    say(`${info.labels[i]}: strongest links ${names.join(', ') || 'none shown'}. Select it to open the culture.`);
  }

  function focusRibbon(path) {
    clear();
    svg.classList.add('is-focused');
    path.classList.add('linked', 'strong');
    const l = links.get(`${path.dataset.a}-${path.dataset.b}`);
    if (l) say(`${l.a} ↔ ${l.b}: link strength ${percent(l.value)}. Select the ribbon to see the closest pairs of works.`);
  }

  svg.querySelectorAll('.chord-arc').forEach((arc) => {
    const i = Number(arc.dataset.i);
    const target = arc.closest('a') || arc;
    target.addEventListener('mouseenter', () => focusCulture(i));
    target.addEventListener('focus', () => focusCulture(i));
    target.addEventListener('mouseleave', clear);
    target.addEventListener('blur', clear);
  });
  ribbons.forEach((path) => {
    path.addEventListener('mouseenter', () => focusRibbon(path));
    path.addEventListener('mouseleave', clear);
    path.addEventListener('click', () => {
      if (path.dataset.url) window.location.assign(path.dataset.url);
    });
  });

  // Labels whole and readable at any width (issue 15: long nationality labels were cut off on a phone). The
  // SVG is drawn at build time for 720 px; on a narrow screen its text would shrink below reading size and
  // overflow the window. There: raise the font until a label is drawn at MIN_PX or more, then fit the viewBox
  // to what is drawn (ring, ribbons and labels), and again, since the fit changes the scale; a few rounds
  // settle. Where the drawing already fits and reads (a desktop), it is left as built.
  const MIN_PX = 12.5;
  const MARGIN = 4; // user units around the drawing
  const firstLabel = svg.querySelector('.chord-label');
  const built = svg.getAttribute('viewBox');
  function fits() {
    const view = svg.viewBox.baseVal, box = svg.getBBox();
    const drawn = parseFloat(getComputedStyle(firstLabel).fontSize) * (svg.getBoundingClientRect().width / view.width);
    return drawn >= MIN_PX && box.x >= view.x && box.y >= view.y && box.x + box.width <= view.x + view.width
      && box.y + box.height <= view.y + view.height;
  }
  function fit() {
    if (!firstLabel || !svg.getBoundingClientRect().width) return;
    svg.style.fontSize = '';
    svg.setAttribute('viewBox', built);
    svg.dataset.fitted = 'true';
    if (fits()) return;
    for (let round = 0; round < 8; round += 1) {
      const view = svg.viewBox.baseVal;
      const scale = svg.getBoundingClientRect().width / view.width;
      const drawn = parseFloat(getComputedStyle(firstLabel).fontSize) * scale;
      if (drawn < MIN_PX) {
        svg.style.fontSize = `${(parseFloat(getComputedStyle(svg).fontSize) * MIN_PX) / drawn}px`;
      }
      const box = svg.getBBox();
      const next = [box.x - MARGIN, box.y - MARGIN, box.width + 2 * MARGIN, box.height + 2 * MARGIN];
      const same = Math.abs(next[2] - view.width) < 0.5 && Math.abs(next[0] - view.x) < 0.5 && drawn >= MIN_PX;
      svg.setAttribute('viewBox', next.map((v) => v.toFixed(1)).join(' '));
      if (same) break;
    }
  }
  let resizing = 0;
  window.addEventListener('resize', () => { cancelAnimationFrame(resizing); resizing = requestAnimationFrame(fit); });
  fit();

  if (controls) {
    controls.hidden = false;
    const box = controls.querySelector('[data-top-quartile]');
    const apply = () => {
      svg.classList.toggle('top-only', box.checked);
      const shown = info.links.filter((l) => !box.checked || l.top).length;
      say(box.checked ? `Showing the ${shown} strongest of ${info.links.length} links (top quartile).` : `Showing all ${info.links.length} links.`);
    };
    box.addEventListener('change', apply);
    if (box.checked) apply(); // restored by the browser on back
  }
})();
