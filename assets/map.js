/* Pan, zoom and filters for the map page (vanilla ES2019, no libraries, no build step).
 *
 * Contract: .map-viewport > .map-canvas > a.map-point[data-*] (+ .map-cluster-label), and
 * .map-controls with button[data-zoom="in|out|reset"] and select[data-filter="<data key>"].
 * The canvas gets `transform: translate(x, y) scale(s)` (origin 0 0) and the custom property
 * --inv-scale = 1/s, so CSS can keep thumbnails a constant size on screen. Without this script
 * (or without a map on the page) nothing happens and the static layout stays as it is.
 */
(function () {
  'use strict';

  const viewport = document.querySelector('.map-viewport');
  const canvas = viewport && viewport.querySelector('.map-canvas');
  if (!viewport || !canvas) return; // not a map page: exit quietly

  const MIN_SCALE = 1;
  const MAX_SCALE = 40;
  const DRAG_THRESHOLD = 5; // px a pointer must travel before a press becomes a drag
  const EDGE = 48; // px of slack so points on the canvas edge can be brought fully into view
  const KEY_PAN = 0.1; // share of the viewport panned per arrow key press
  const KEY_ZOOM = 1.25;

  const view = { s: 1, x: 0, y: 0 }; // canvas-local point p is drawn at screen x + s * p
  let frame = 0; // pending requestAnimationFrame id (0 = none)

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

  /** Keep the canvas covering the viewport (plus a little slack) at the current scale. */
  function clampView() {
    const w = viewport.clientWidth;
    const h = viewport.clientHeight;
    view.s = clamp(view.s, MIN_SCALE, MAX_SCALE);
    const slack = EDGE * Math.min(1, view.s - 1); // none when fully zoomed out
    view.x = clamp(view.x, w - w * view.s - slack, slack);
    view.y = clamp(view.y, h - h * view.s - slack, slack);
  }

  /** Write the transform once per animation frame, however many events arrived meanwhile. */
  function render() {
    frame = 0;
    canvas.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.s})`;
    canvas.style.setProperty('--inv-scale', String(1 / view.s));
  }
  function schedule() {
    clampView(); // clamp at once, so the next event starts from a valid view
    if (!frame) frame = requestAnimationFrame(render);
  }

  /** Multiply the scale by `factor`, keeping the viewport point (cx, cy) fixed on screen. */
  function zoomAt(factor, cx, cy) {
    const s = clamp(view.s * factor, MIN_SCALE, MAX_SCALE);
    const k = s / view.s;
    view.x = cx - (cx - view.x) * k;
    view.y = cy - (cy - view.y) * k;
    view.s = s;
    schedule();
  }
  const zoomCentre = (factor) => zoomAt(factor, viewport.clientWidth / 2, viewport.clientHeight / 2);

  function panBy(dx, dy) {
    view.x += dx;
    view.y += dy;
    schedule();
  }

  function reset() {
    view.s = 1;
    view.x = 0;
    view.y = 0;
    schedule();
  }

  /** Pointer position relative to the viewport's top-left corner. */
  function local(e) {
    const r = viewport.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  // --- Pointer input: mouse drag, one-finger pan, two-finger pinch -------------------------
  const pointers = new Map(); // pointerId -> last local position
  let start = null; // where the current press began (for the drag threshold)
  let dragging = false;
  let suppressClick = false; // a drag just ended: swallow the click it would cause

  viewport.style.touchAction = 'none'; // we handle touch gestures (set here so no-JS pages scroll)
  viewport.style.userSelect = 'none'; // no text selection while dragging
  viewport.addEventListener('dragstart', (e) => e.preventDefault()); // no native link/image drag

  viewport.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    pointers.set(e.pointerId, local(e));
    if (pointers.size === 1) {
      start = local(e);
      dragging = false;
      suppressClick = false;
    }
  });

  viewport.addEventListener('pointermove', (e) => {
    const prev = pointers.get(e.pointerId);
    if (!prev) return;
    const now = local(e);
    if (pointers.size >= 2) {
      // Pinch: zoom by the change in finger distance around their midpoint, pan with the midpoint.
      const other = [...pointers].find(([id]) => id !== e.pointerId)[1];
      const before = Math.hypot(prev.x - other.x, prev.y - other.y);
      const after = Math.hypot(now.x - other.x, now.y - other.y);
      const mid = { x: (now.x + other.x) / 2, y: (now.y + other.y) / 2 };
      if (before > 0) zoomAt(after / before, mid.x, mid.y);
      panBy((now.x - prev.x) / 2, (now.y - prev.y) / 2);
      beginDrag(e);
    } else {
      if (!dragging && Math.hypot(now.x - start.x, now.y - start.y) > DRAG_THRESHOLD) beginDrag(e);
      if (dragging) panBy(now.x - prev.x, now.y - prev.y);
    }
    pointers.set(e.pointerId, now);
  });

  /** Turn the press into a drag: capture the pointer (only now, so plain clicks reach links). */
  function beginDrag(e) {
    if (!dragging) viewport.classList.add('is-dragging');
    dragging = true;
    if (viewport.setPointerCapture && !viewport.hasPointerCapture(e.pointerId)) {
      viewport.setPointerCapture(e.pointerId);
    }
  }

  function endPointer(e) {
    if (!pointers.delete(e.pointerId)) return;
    if (pointers.size === 0) {
      suppressClick = dragging;
      dragging = false;
      viewport.classList.remove('is-dragging');
    }
  }
  viewport.addEventListener('pointerup', endPointer);
  viewport.addEventListener('pointercancel', endPointer);

  // Capture phase: runs before the link's own click, so a drag never opens a work page.
  viewport.addEventListener('click', (e) => {
    if (!suppressClick) return;
    suppressClick = false;
    e.preventDefault();
    e.stopPropagation();
  }, true);

  // --- Wheel: zoom around the cursor (trackpad pinch arrives as ctrl+wheel) -----------------
  viewport.addEventListener('wheel', (e) => {
    e.preventDefault();
    const lines = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? viewport.clientHeight : 1;
    const rate = e.ctrlKey ? 0.01 : 0.0015;
    const p = local(e);
    zoomAt(Math.exp(-e.deltaY * lines * rate), p.x, p.y);
  }, { passive: false });

  // --- Keyboard, while the viewport (or a point inside it) has focus ------------------------
  viewport.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return; // leave browser shortcuts alone
    const step = KEY_PAN * Math.min(viewport.clientWidth, viewport.clientHeight);
    const actions = {
      ArrowLeft: () => panBy(step, 0),
      ArrowRight: () => panBy(-step, 0),
      ArrowUp: () => panBy(0, step),
      ArrowDown: () => panBy(0, -step),
      '+': () => zoomCentre(KEY_ZOOM),
      '=': () => zoomCentre(KEY_ZOOM),
      '-': () => zoomCentre(1 / KEY_ZOOM),
      _: () => zoomCentre(1 / KEY_ZOOM),
      0: reset,
    };
    const action = actions[e.key];
    if (!action) return;
    e.preventDefault(); // no page scroll on arrows
    action();
  });

  // --- Buttons and filters --------------------------------------------------------------------
  const controls = document.querySelector('.map-controls');
  const buttons = { in: () => zoomCentre(KEY_ZOOM), out: () => zoomCentre(1 / KEY_ZOOM), reset };
  const selects = controls ? Array.from(controls.querySelectorAll('select[data-filter]')) : [];
  if (controls) {
    controls.addEventListener('click', (e) => {
      const button = e.target.closest && e.target.closest('[data-zoom]');
      const action = button && buttons[button.dataset.zoom];
      if (action) action();
    });
  }

  /** Hide points whose data-<filter> differs from a select's non-empty value. */
  function applyFilters() {
    const active = selects.filter((s) => s.value !== '').map((s) => [s.dataset.filter, s.value]);
    canvas.querySelectorAll('.map-point').forEach((point) => {
      point.hidden = !active.every(([key, value]) => point.dataset[key] === value);
    });
  }
  selects.forEach((s) => s.addEventListener('change', applyFilters));
  applyFilters(); // the browser may have restored select values (back button)

  // Tabbing to a point that is off screen pans it to the centre.
  viewport.addEventListener('focusin', (e) => {
    if (!e.target.classList || !e.target.classList.contains('map-point')) return;
    viewport.scrollLeft = viewport.scrollTop = 0; // undo the browser's own scroll-into-view
    const v = viewport.getBoundingClientRect();
    const p = e.target.getBoundingClientRect();
    const cx = p.left + p.width / 2 - v.left;
    const cy = p.top + p.height / 2 - v.top;
    if (cx < 0 || cy < 0 || cx > v.width || cy > v.height) panBy(v.width / 2 - cx, v.height / 2 - cy);
  });

  window.addEventListener('resize', schedule);
  clampView();
  render();
})();
