/* The map: every work drawn from binary point chunks, with WebGL, and thumbnails from a sprite pyramid
 * (vanilla ES2019, no libraries, no build step).
 *
 * Data (written by atlas/site/map_data.py): .map-app[data-points] -> points.json, the index (groups, colours,
 * clusters, the list of binary point chunks, the sprite pyramid's levels); the chunks themselves
 * (atlas/site/map_chunks.py: little-endian typed arrays read from each response's ArrayBuffer), fetched all
 * at once and drawn each as it arrives (progressive loading); the sheets of the pyramid; and
 * [data-captions]N.json, the slug, title and byline of the points of level-0 sheet N, fetched with the sheet
 * or when a point of it is hovered, focused or opened.
 *
 * Drawing: the world is the unit square, fitted into the viewport; a point's screen position is
 * view.x + view.s * base * x. Two canvases: the WebGL layer below (map_gl.js) draws every point as a
 * coloured square, a million in one draw call; the 2D canvas above draws the cluster labels, the marker,
 * and, when few enough points are on screen and they are large, their thumbnails (drawImage from the
 * pyramid: level 0's 48 px cells, or a higher level's tiles, fetched for the works in view only, once a
 * work is drawn larger than level 0's cells). Only the blocks of 4,096 points (compact in Z-order) whose
 * bounding box meets the view are sent to WebGL. Without WebGL, or when the browser's WebGL runs in
 * software (no GPU: SwiftShader, llvmpipe, where it is slower than the CPU path), the 2D canvas draws the
 * dots itself into an ImageData buffer.
 * Pan and zoom: mouse drag and wheel, touch (one finger pans, two pinch), keyboard (arrows, + / -, 0, Enter
 * opens the work nearest the centre) and the buttons. The wheel zooms once the map has the focus (a click
 * or Tab) or with Ctrl held; otherwise it scrolls the page. On a touch screen a vertical swipe scrolls the
 * page past the map (CSS touch-action: pan-y).
 * `window.atlasMap` exposes the state and frame statistics for tests and benchmarks.
 * Without scripts, the page's <noscript> list of works is shown instead.
 */
(function () {
  'use strict';

  const app = document.querySelector('.map-app');
  if (!app) return;
  const viewport = app.querySelector('.map-viewport');
  const canvas = viewport.querySelector('.map-canvas-2d');
  const ctx = canvas.getContext('2d');
  const glCanvas = document.createElement('canvas'); // the WebGL point layer, under the 2D canvas
  glCanvas.className = 'map-canvas-gl';
  glCanvas.setAttribute('aria-hidden', 'true');
  viewport.insertBefore(glCanvas, canvas);
  let gl = null; // map_gl.js's layer once the index is in, or null: the 2D canvas draws the dots
  const caption = viewport.querySelector('.map-caption');
  const status = document.getElementById('map-status');
  const legend = app.querySelector('.map-legend');
  const colourSelect = app.querySelector('select[data-colour]');
  const filterSelects = Array.from(app.querySelectorAll('select[data-filter]'));

  const MIN_SCALE = 0.8;
  const MAX_SCALE = 400;
  const DRAG_THRESHOLD = 5; // px a pointer must travel before a press becomes a drag
  const KEY_PAN = 0.1; // share of the viewport panned per arrow key press
  const KEY_ZOOM = 1.25;
  const THUMB_MIN = 10; // css px: smaller points are drawn as dots
  const THUMB_MAX_VISIBLE = 3000; // more thumbnails than this on screen: draw dots instead (each costs ~15 µs in software)
  const BACKGROUND = [38, 35, 31];
  const BACKGROUND_CSS = 'rgb(38,35,31)';

  const view = { s: 1, x: 0, y: 0 };
  const BLOCK = 4096; // points per culling block: consecutive in Z-order, so each covers a compact region
  const SOFTWARE_GL = /SwiftShader|llvmpipe|softpipe|software/i; // WebGL without a GPU: the 2D path is faster
  const HIGHER_LEVEL = 1.2; // a work drawn larger than this times a level's cell (device px) takes the next level
  const stats = { draws: 0, lastDrawMs: 0, totalDrawMs: 0, mode: 'none', sheetsLoaded: 0, sheetsRequested: 0, ready: false,
    captions: true, captionsRequested: 0, captionsLoaded: 0, chunks: 0, chunksLoaded: 0, pointsLoaded: 0,
    tilesRequested: 0, tilesLoaded: 0, level: 0, renderer: 'none', glRenderer: '' };
  let W = 0; // viewport size in css px
  let H = 0;
  let dpr = 1;
  let frame = 0;
  let data = null;
  let captions = []; // per sheet: null = not asked for, false = loading, else {slug, title, byline}
  let pendingOpen = -1; // a work to open as soon as its caption chunk arrives
  let captionAt = { x: 0, y: 0 };
  let n = 0;
  let px = null; // Float32Array of x in [0, 1]
  let py = null;
  let groupsOf = { culture: null, medium: null }; // Int16Array per field: group index, -1 for none
  let present = null; // Uint8Array: the point's chunk has arrived
  let shown = null; // Uint8Array: arrived and passes the filters
  let rgba = null; // Uint8Array, 4 per point: the WebGL colour buffer (alpha 0 = not drawn)
  let boxes = null; // Float32Array, 4 per block of BLOCK points: min x, min y, max x, max y of those loaded
  let inView = null; // Int32Array scratch: indexes of points on screen
  let levels = []; // the sprite pyramid's levels (level 0 first)
  let sheets = []; // per level, per sheet: null = not asked for, false = loading, else the image
  let colourBy = colourSelect ? colourSelect.value : 'culture';
  let hover = -1;
  let keyboardFocus = false;
  let image = null; // ImageData reused between dot frames
  let pixels = null; // Uint32Array over image
  let colours32 = { culture: [], medium: [] };
  let labelOrder = []; // clusters, largest first

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const base = () => Math.min(W, H);

  function say(text) {
    if (status) status.textContent = text;
  }

  // --- geometry -------------------------------------------------------------------------------
  function screenX(i) { return view.x + view.s * base() * px[i]; }
  function screenY(i) { return view.y + view.s * base() * py[i]; }

  /** On-screen side of a point: about the typical spacing of n points, so zooming in reveals thumbnails. */
  function pointSize() {
    return clamp((base() * view.s * 0.9) / Math.sqrt(Math.max(n, 1)), 2, 160);
  }

  function clampView() {
    view.s = clamp(view.s, MIN_SCALE, MAX_SCALE);
    const side = base() * view.s;
    view.x = clamp(view.x, W / 2 - side, W / 2);
    view.y = clamp(view.y, H / 2 - side, H / 2);
  }

  function reset() {
    view.s = 1;
    view.x = (W - base()) / 2;
    view.y = (H - base()) / 2;
    schedule();
  }

  function zoomAt(factor, cx, cy) {
    const s = clamp(view.s * factor, MIN_SCALE, MAX_SCALE);
    const k = s / view.s;
    view.x = cx - (cx - view.x) * k;
    view.y = cy - (cy - view.y) * k;
    view.s = s;
    schedule();
  }
  const zoomCentre = (factor) => zoomAt(factor, W / 2, H / 2);

  function panBy(dx, dy) {
    view.x += dx;
    view.y += dy;
    schedule();
  }

  function resize() {
    const r = viewport.getBoundingClientRect();
    const first = W === 0;
    const oldBase = base();
    W = Math.max(1, Math.round(r.width));
    H = Math.max(1, Math.round(r.height));
    dpr = window.devicePixelRatio || 1;
    for (const c of [canvas, glCanvas]) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(H * dpr);
      c.style.width = W + 'px';
      c.style.height = H + 'px';
    }
    image = null;
    if (first || !oldBase) reset();
    else schedule();
  }

  // --- colours --------------------------------------------------------------------------------
  function rgb(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  function packed([r, g, b]) { return (255 << 24) | (b << 16) | (g << 8) | r; } // little-endian RGBA
  const OTHER = [154, 148, 138]; // a work without a group

  /** Refill the WebGL colour buffer for points start..stop-1 (alpha 0 hides a point) and upload it. */
  function recolour(start, stop) {
    if (!gl) return;
    const groups = groupsOf[colourBy];
    const table = data.colours[colourBy].map(rgb);
    for (let i = start; i < stop; i++) {
      const c = groups[i] < 0 ? OTHER : table[groups[i]];
      rgba[4 * i] = c[0];
      rgba[4 * i + 1] = c[1];
      rgba[4 * i + 2] = c[2];
      rgba[4 * i + 3] = shown[i] ? 255 : 0;
    }
    gl.upload('colour', start, rgba.subarray(4 * start, 4 * stop));
  }

  // --- drawing --------------------------------------------------------------------------------
  function schedule() {
    clampView();
    if (!frame) frame = requestAnimationFrame(draw);
  }

  /** How many shown points are on screen (for tests and benchmarks; the WebGL layer needs no count). */
  function visibleCount() {
    return collectInView(pointSize());
  }

  /** The shown points on screen (within `margin` css px) into inView, block by block; how many. */
  function collectInView(margin) {
    let count = 0;
    const b = base() * view.s;
    for (const [first, length] of rangesInView(margin)) {
      for (let i = first; i < first + length; i++) {
        if (!shown[i]) continue;
        const x = view.x + b * px[i];
        const y = view.y + b * py[i];
        if (x >= -margin && y >= -margin && x <= W + margin && y <= H + margin) inView[count++] = i;
      }
    }
    return count;
  }

  /** Side of a dot in device px: grows with zoom, up to 8 px. */
  function dotSide(size) {
    return Math.max(1, Math.min(8, Math.round(size * dpr * 0.7)));
  }

  function drawDots(count, size) {
    const cw = canvas.width;
    const ch = canvas.height;
    if (!image || image.width !== cw || image.height !== ch) {
      image = ctx.createImageData(cw, ch);
      pixels = new Uint32Array(image.data.buffer);
    }
    pixels.fill(packed(BACKGROUND));
    const d = dotSide(size);
    const half = d >> 1;
    const b = base() * view.s * dpr;
    const table = colours32[colourBy];
    const groups = groupsOf[colourBy];
    const other = packed(OTHER);
    const ox = view.x * dpr;
    const oy = view.y * dpr;
    for (let k = 0; k < count; k++) {
      const i = inView[k];
      const x0 = Math.round(ox + b * px[i]) - half;
      const y0 = Math.round(oy + b * py[i]) - half;
      const c = groups[i] < 0 ? other : table[groups[i]];
      if (d === 1) { // the zoomed-out case of a large map: one pixel, no loops
        if (x0 >= 0 && y0 >= 0 && x0 < cw && y0 < ch) pixels[y0 * cw + x0] = c;
        continue;
      }
      for (let y = Math.max(0, y0); y < Math.min(ch, y0 + d); y++) {
        const row = y * cw;
        for (let x = Math.max(0, x0); x < Math.min(cw, x0 + d); x++) pixels[row + x] = c;
      }
    }
    ctx.putImageData(image, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  /** The pyramid level for works drawn `size` css px wide: the next level once a cell would be stretched. */
  function levelFor(size) {
    let level = 0;
    while (level + 1 < levels.length && size * dpr > levels[level].cell * HIGHER_LEVEL) level += 1;
    return level;
  }

  /** Point i's cell at `level`, or at the nearest lower level that is in while its own is on the way; or null. */
  function cellOf(i, level) {
    for (let l = level; l >= 0; l--) {
      const lv = levels[l];
      const img = sheets[l][Math.floor(i / lv.per_sheet)];
      if (!img) continue;
      const c = i % lv.per_sheet;
      return { img, x: (c % lv.columns) * lv.cell, y: Math.floor(c / lv.columns) * lv.cell, cell: lv.cell, level: l };
    }
    return null;
  }

  function drawThumbs(count, size) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = BACKGROUND_CSS;
    ctx.fillRect(0, 0, W, H);
    const half = size / 2;
    const ring = Math.max(1.5, size * 0.06);
    // Coloured frames first, one path per colour (a fill per point would cost as much as the images).
    const groups = groupsOf[colourBy];
    const palette = data.colours[colourBy];
    for (let g = -1; g < palette.length; g++) {
      ctx.beginPath();
      for (let k = 0; k < count; k++) {
        const i = inView[k];
        if (groups[i] === g) ctx.rect(screenX(i) - half - ring, screenY(i) - half - ring, size + 2 * ring, size + 2 * ring);
      }
      ctx.fillStyle = g < 0 ? '#9a948a' : palette[g];
      ctx.fill();
    }
    const level = levelFor(size);
    stats.level = level;
    ctx.imageSmoothingEnabled = size * dpr > levels[0].cell * 0.75; // shrinking a lot: nearest pixel is faster and looks alike
    for (let k = 0; k < count; k++) {
      const i = inView[k];
      const c = cellOf(i, level);
      if (c) ctx.drawImage(c.img, c.x, c.y, c.cell, c.cell, screenX(i) - half, screenY(i) - half, size, size);
    }
  }

  /** [first, count] runs of the blocks whose points may be on screen (within `margin` css px). */
  function rangesInView(margin) {
    return rangesIn(-margin, -margin, W + margin, H + margin);
  }

  /** [first, count] runs of the blocks whose bounding boxes meet the screen rectangle (css px) given. */
  function rangesIn(left, top, right, bottom) {
    const b = base() * view.s;
    const x0 = (left - view.x) / b;
    const x1 = (right - view.x) / b;
    const y0 = (top - view.y) / b;
    const y1 = (bottom - view.y) / b;
    const ranges = [];
    for (let k = 0; 4 * k < boxes.length; k++) {
      if (boxes[4 * k] > x1 || boxes[4 * k + 2] < x0 || boxes[4 * k + 1] > y1 || boxes[4 * k + 3] < y0) continue;
      const first = k * BLOCK;
      const count = Math.min(BLOCK, n - first);
      const last = ranges[ranges.length - 1];
      if (last && last[0] + last[1] === first) last[1] += count;
      else ranges.push([first, count]);
    }
    return ranges;
  }

  /** The points of the blocks in view through the WebGL layer; the 2D canvas above keeps labels and the marker. */
  function drawPoints(size) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const ranges = rangesInView(size);
    stats.drawnPoints = ranges.reduce((sum, r) => sum + r[1], 0);
    gl.draw(glCanvas.width, glCanvas.height, base() * view.s * dpr, view.x * dpr, view.y * dpr, dotSide(size), BACKGROUND, ranges);
  }

  /** Cluster labels, largest cluster first; a label that would overlap one already drawn waits for more zoom. */
  function drawLabels() {
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const b = base() * view.s;
    const placed = [];
    for (const c of labelOrder) {
      const x = view.x + (b * c.x) / data.scale;
      const y = view.y + (b * c.y) / data.scale;
      if (x < -200 || y < -20 || x > W + 200 || y > H + 20) continue;
      const w = ctx.measureText(c.label).width + 10;
      const box = [x - w / 2, y - 10, x + w / 2, y + 10];
      if (placed.some((p) => box[0] < p[2] && p[0] < box[2] && box[1] < p[3] && p[1] < box[3])) continue;
      placed.push(box);
      ctx.fillStyle = 'rgba(0,0,0,0.72)';
      ctx.fillRect(box[0], box[1], w, 20);
      ctx.fillStyle = '#ffffff';
      ctx.fillText(c.label, x, y);
    }
  }

  function drawMarker(i, size) {
    if (i < 0) return;
    const s = Math.max(size, 14) + 8;
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#ffffff';
    ctx.strokeRect(screenX(i) - s / 2, screenY(i) - s / 2, s, s);
  }

  function draw() {
    frame = 0;
    if (!data || (!gl && !stats.pointsLoaded)) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = BACKGROUND_CSS;
      ctx.fillRect(0, 0, W, H);
      return;
    }
    if (gl && gl.lost) { // the GPU reset or the browser took the context back: the 2D path from now on
      gl = null;
      glCanvas.hidden = true;
      stats.renderer = '2d';
    }
    const t0 = performance.now();
    const size = pointSize();
    const candidate = size >= THUMB_MIN && levels.length > 0 && levels[0].sheets.length > 0;
    const count = candidate || !gl ? collectInView(size) : -1; // the WebGL layer needs no list of points on screen
    const thumbs = candidate && count <= THUMB_MAX_VISIBLE;
    if (thumbs) requestSheets(count, levelFor(size));
    updateReady();
    if (thumbs) drawThumbs(count, size);
    else if (gl) drawPoints(size);
    else drawDots(count, size);
    stats.mode = thumbs ? 'thumbnails' : 'dots';
    drawLabels();
    if (keyboardFocus) {
      ctx.strokeStyle = 'rgba(255,255,255,0.6)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(W / 2 - 10, H / 2); ctx.lineTo(W / 2 + 10, H / 2);
      ctx.moveTo(W / 2, H / 2 - 10); ctx.lineTo(W / 2, H / 2 + 10);
      ctx.stroke();
    }
    drawMarker(hover, size);
    if (stats.pointsLoaded && !stats.firstDotsMs) stats.firstDotsMs = performance.now();
    stats.visible = count;
    stats.draws += 1;
    stats.lastDrawMs = performance.now() - t0;
    stats.totalDrawMs += stats.lastDrawMs;
  }

  // --- picking and captions -------------------------------------------------------------------
  /** The shown point under (x, y) (css px in the viewport), or -1. */
  function pick(x, y, radius) {
    const r = radius === undefined ? Math.max(pointSize() / 2 + 2, 6) : radius;
    const b = base() * view.s;
    let best = -1;
    let bestD = r * r;
    for (const [first, length] of rangesIn(x - r, y - r, x + r, y + r)) {
      for (let i = first; i < first + length; i++) {
        if (!shown[i]) continue;
        const dx = view.x + b * px[i] - x;
        const dy = view.y + b * py[i] - y;
        const d = dx * dx + dy * dy;
        if (d <= bestD) { bestD = d; best = i; }
      }
    }
    return best;
  }

  /** {slug, title, byline} of point i, or null while its chunk is not in (then it is asked for). */
  function captionOf(i) {
    const per = data.sprites.per_sheet;
    const chunk = captions[Math.floor(i / per)];
    if (!chunk) {
      requestCaptions(Math.floor(i / per));
      return null;
    }
    const k = i % per;
    return { slug: chunk.slug[k], title: chunk.title[k], byline: chunk.byline[k] };
  }

  function requestCaptions(chunk) {
    if (captions[chunk] !== null) return;
    captions[chunk] = false;
    stats.captionsRequested += 1;
    stats.captions = false;
    fetch(app.dataset.captions + chunk + '.json')
      .then((r) => {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then((c) => {
        captions[chunk] = c;
        stats.captionsLoaded += 1;
        stats.captions = stats.captionsLoaded === stats.captionsRequested;
        if (pendingOpen >= 0 && captionOf(pendingOpen)) open(pendingOpen);
        else if (hover >= 0 && !caption.hidden) showCaption(hover, captionAt.x, captionAt.y);
        else if (hover >= 0 && keyboardFocus) centreWork();
      })
      .catch(() => say('The captions could not be loaded.'));
  }

  function describe(i) {
    const c = captionOf(i);
    return c ? c.title + ' — ' + c.byline : 'loading its caption…';
  }

  function showCaption(i, x, y) {
    hover = i;
    if (i < 0) {
      caption.hidden = true;
    } else {
      captionAt = { x, y };
      const c = captionOf(i);
      caption.hidden = false;
      caption.textContent = '';
      const title = document.createElement('strong');
      title.textContent = c ? c.title : 'Loading…';
      const by = document.createElement('span');
      by.textContent = c ? c.byline : '';
      caption.append(title, by);
      const cw = caption.offsetWidth;
      caption.style.left = clamp(x + 14, 4, Math.max(4, W - cw - 4)) + 'px';
      caption.style.top = clamp(y + 14, 4, Math.max(4, H - caption.offsetHeight - 4)) + 'px';
    }
    schedule();
  }

  function open(i) {
    if (i < 0) return;
    const c = captionOf(i);
    pendingOpen = c ? -1 : i;
    if (c) window.location.assign(app.dataset.workUrl.replace('{slug}', c.slug));
  }

  function local(e) {
    const r = viewport.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  // --- pointer input: drag, pinch, hover, click ------------------------------------------------
  const pointers = new Map();
  let start = null;
  let dragging = false;

  viewport.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    pointers.set(e.pointerId, local(e));
    if (pointers.size === 1) {
      start = local(e);
      dragging = false;
    }
  });

  viewport.addEventListener('pointermove', (e) => {
    const now = local(e);
    const prev = pointers.get(e.pointerId);
    if (!prev) {
      if (data && e.pointerType === 'mouse') showCaption(pick(now.x, now.y), now.x, now.y);
      return;
    }
    if (pointers.size >= 2) {
      const other = [...pointers].find(([id]) => id !== e.pointerId)[1];
      const before = Math.hypot(prev.x - other.x, prev.y - other.y);
      const after = Math.hypot(now.x - other.x, now.y - other.y);
      if (before > 0) zoomAt(after / before, (now.x + other.x) / 2, (now.y + other.y) / 2);
      panBy((now.x - prev.x) / 2, (now.y - prev.y) / 2);
      beginDrag(e);
    } else {
      if (!dragging && Math.hypot(now.x - start.x, now.y - start.y) > DRAG_THRESHOLD) beginDrag(e);
      if (dragging) panBy(now.x - prev.x, now.y - prev.y);
    }
    pointers.set(e.pointerId, now);
  });

  function beginDrag(e) {
    if (!dragging) viewport.classList.add('is-dragging');
    dragging = true;
    showCaption(-1);
    try {
      if (!viewport.hasPointerCapture(e.pointerId)) viewport.setPointerCapture(e.pointerId);
    } catch (err) {
      // a pointer the browser no longer tracks (or a synthetic one): dragging works without capture
    }
  }

  function endPointer(e) {
    if (!pointers.delete(e.pointerId)) return;
    if (pointers.size === 0) {
      const wasDrag = dragging;
      dragging = false;
      viewport.classList.remove('is-dragging');
      if (!wasDrag && e.type === 'pointerup' && data) {
        const p = local(e);
        const i = pick(p.x, p.y);
        if (e.pointerType !== 'mouse' && i >= 0 && hover !== i) showCaption(i, p.x, p.y); // touch: first tap shows
        else open(i);
      }
    }
  }
  viewport.addEventListener('pointerup', endPointer);
  viewport.addEventListener('pointercancel', endPointer);
  viewport.addEventListener('pointerleave', (e) => { if (!pointers.size && e.pointerType === 'mouse') showCaption(-1); });

  // The wheel zooms only once the map has been clicked or tabbed to (it has the focus), or with Ctrl / Cmd
  // held (also what a trackpad pinch sends): a page scrolled past the map must not be caught by it.
  viewport.addEventListener('wheel', (e) => {
    if (!e.ctrlKey && !e.metaKey && document.activeElement !== viewport) {
      say('Scrolling the page. To zoom with the wheel, click the map first or hold Ctrl.');
      return;
    }
    e.preventDefault();
    const lines = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? H : 1;
    const rate = e.ctrlKey ? 0.01 : 0.0015;
    const p = local(e);
    zoomAt(Math.exp(-e.deltaY * lines * rate), p.x, p.y);
    if (data && !caption.hidden) showCaption(pick(p.x, p.y), p.x, p.y); // the caption follows the zoom
  }, { passive: false });

  // --- keyboard -------------------------------------------------------------------------------
  function centreWork() {
    const i = pick(W / 2, H / 2, Math.max(W, H));
    hover = i;
    if (i >= 0) say('At the centre: ' + describe(i) + '. Press Enter to open it.');
    return i;
  }

  viewport.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || !data) return;
    const step = KEY_PAN * Math.min(W, H);
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
      Enter: () => open(centreWork()),
    };
    const action = actions[e.key];
    if (!action) return;
    e.preventDefault();
    keyboardFocus = true;
    caption.hidden = true;
    action();
    if (e.key !== 'Enter') { clampView(); centreWork(); }
  });
  viewport.addEventListener('focus', () => { keyboardFocus = true; if (data) { centreWork(); schedule(); } });
  viewport.addEventListener('blur', () => { keyboardFocus = false; hover = -1; schedule(); });

  // --- controls -------------------------------------------------------------------------------
  app.querySelector('.map-controls').addEventListener('click', (e) => {
    const button = e.target.closest && e.target.closest('[data-zoom]');
    if (!button) return;
    ({ in: () => zoomCentre(KEY_ZOOM), out: () => zoomCentre(1 / KEY_ZOOM), reset })[button.dataset.zoom]();
  });

  /** [groups, index] for each filter that is set. */
  function activeFilters() {
    return filterSelects
      .filter((s) => s.value !== '')
      .map((s) => {
        const field = s.dataset.filter;
        const names = field === 'culture' ? data.cultures : data.media;
        return [groupsOf[field], names.indexOf(s.value)];
      });
  }

  /** Which of points start..stop-1 are drawn: arrived and passing the filters; then their colours. */
  function filterRange(start, stop) {
    const active = activeFilters();
    for (let i = start; i < stop; i++) shown[i] = present[i] && active.every(([groups, g]) => groups[i] === g) ? 1 : 0;
    recolour(start, stop);
  }

  function announce() {
    let count = 0;
    for (let i = 0; i < n; i++) count += shown[i];
    const all = n.toLocaleString('en');
    if (stats.pointsLoaded < n) say(`Loading the map: ${stats.pointsLoaded.toLocaleString('en')} of ${all} works…`);
    else say(count === n ? `${all} works on the map.` : `${count.toLocaleString('en')} of ${all} works shown.`);
  }

  function applyFilters() {
    if (!data) return;
    filterRange(0, n);
    announce();
    hover = -1;
    schedule();
  }

  function buildLegend() {
    if (!legend || !data) return;
    legend.textContent = '';
    const names = colourBy === 'culture' ? data.cultures : data.media;
    names.forEach((name, g) => {
      const li = document.createElement('li');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = data.colours[colourBy][g];
      li.append(sw, document.createTextNode(name));
      legend.append(li);
    });
  }

  filterSelects.forEach((s) => s.addEventListener('change', applyFilters));
  if (colourSelect) {
    colourSelect.addEventListener('change', () => {
      colourBy = colourSelect.value;
      if (data) recolour(0, n);
      buildLegend();
      schedule();
    });
  }

  // --- loading --------------------------------------------------------------------------------
  function updateReady() {
    stats.ready = stats.chunksLoaded === stats.chunks && stats.sheetsLoaded === stats.sheetsRequested
      && stats.tilesLoaded === stats.tilesRequested;
  }

  /** Fetch the cells the points in view need at `level` (and their captions) that are not asked for yet. */
  function requestSheets(count, level) {
    const per = levels[level].per_sheet;
    for (let k = 0; k < count; k++) {
      const i = inView[k];
      requestCaptions(Math.floor(i / data.sprites.per_sheet)); // the captions of the points drawn as thumbnails
      requestSheet(level, Math.floor(i / per));
    }
  }

  function requestSheet(level, sheet) {
    if (sheets[level][sheet] !== null) return;
    sheets[level][sheet] = false; // asked for
    if (level) stats.tilesRequested += 1;
    else stats.sheetsRequested += 1;
    stats.ready = false;
    const img = new Image();
    img.decoding = 'async';
    img.onload = () => {
      sheets[level][sheet] = img;
      if (level) stats.tilesLoaded += 1;
      else stats.sheetsLoaded += 1;
      updateReady();
      schedule();
    };
    img.onerror = () => say('A sheet of thumbnails could not be loaded.');
    img.src = levels[level].sheets[sheet].url;
  }

  /** One chunk's columns as typed arrays over its bytes (layout from points.json; little-endian, as every
   * browser's typed arrays are on the machines that run them). */
  function readChunk(buffer, count) {
    const types = { Float32: Float32Array, Int32: Int32Array, Int16: Int16Array };
    const out = {};
    let offset = 0;
    for (const column of data.points.layout) {
      out[column.name] = new types[column.type](buffer, offset, count);
      offset += column.bytes * count;
    }
    if (offset !== buffer.byteLength) throw new Error('a map chunk of the wrong size');
    return out;
  }

  function addChunk(buffer, start, count) {
    const cols = readChunk(buffer, count);
    px.set(cols.x, start);
    py.set(cols.y, start);
    groupsOf.culture.set(cols.culture, start);
    groupsOf.medium.set(cols.medium, start);
    present.fill(1, start, start + count);
    for (let i = start; i < start + count; i++) {
      const k = 4 * Math.floor(i / BLOCK);
      if (px[i] < boxes[k]) boxes[k] = px[i];
      if (py[i] < boxes[k + 1]) boxes[k + 1] = py[i];
      if (px[i] > boxes[k + 2]) boxes[k + 2] = px[i];
      if (py[i] > boxes[k + 3]) boxes[k + 3] = py[i];
    }
    if (gl) {
      gl.upload('x', start, cols.x);
      gl.upload('y', start, cols.y);
    }
    stats.chunksLoaded += 1;
    stats.pointsLoaded += count;
    if (stats.pointsLoaded === n) stats.allPointsMs = performance.now();
    filterRange(start, start + count);
    announce();
    schedule();
  }

  /** Every chunk asked for at once; each is drawn as soon as it arrives, in whatever order they come. */
  function loadChunks() {
    let start = 0;
    for (const chunk of data.points.chunks) {
      const at = start;
      start += chunk.count;
      fetch(chunk.url)
        .then((r) => {
          if (!r.ok) throw new Error(r.status);
          return r.arrayBuffer();
        })
        .then((buffer) => addChunk(buffer, at, chunk.count))
        .catch(() => say('Part of the map could not be loaded.'));
    }
  }

  /** The WebGL layer, or null to draw on the 2D canvas: when WebGL is missing, or when it runs in software
   * (no GPU: SwiftShader, llvmpipe), where the 2D path is faster (benchmarks/map_scale.py). A page may set
   * window.atlasMapRenderer = 'webgl' or '2d' before this script runs to choose (tests and benchmarks do). */
  function chooseRenderer() {
    const wanted = window.atlasMapRenderer || 'auto';
    if (wanted === '2d' || !window.AtlasMapGL) return null;
    const layer = window.AtlasMapGL.create(glCanvas, n);
    if (!layer) return null;
    stats.glRenderer = layer.renderer;
    if (wanted === 'auto' && SOFTWARE_GL.test(layer.renderer)) {
      layer.release();
      return null;
    }
    return layer;
  }

  function start_(index) {
    data = index;
    n = data.count;
    px = new Float32Array(n);
    py = new Float32Array(n);
    groupsOf = { culture: new Int16Array(n), medium: new Int16Array(n) };
    present = new Uint8Array(n);
    shown = new Uint8Array(n);
    inView = new Int32Array(n);
    levels = data.pyramid && data.pyramid.length ? data.pyramid : [];
    sheets = levels.map((level) => new Array(level.sheets.length).fill(null)); // null: not asked for, false: loading
    captions = new Array(Math.ceil(n / Math.max(1, data.sprites.per_sheet || n))).fill(null);
    labelOrder = data.clusters.slice().sort((a, b) => b.size - a.size || a.id - b.id);
    colours32 = {
      culture: data.colours.culture.map((c) => packed(rgb(c))),
      medium: data.colours.medium.map((c) => packed(rgb(c))),
    };
    boxes = new Float32Array(4 * Math.ceil(n / BLOCK));
    for (let k = 0; k < boxes.length; k += 4) boxes.set([Infinity, Infinity, -Infinity, -Infinity], k); // empty
    gl = chooseRenderer();
    stats.renderer = gl ? 'webgl' : '2d';
    if (gl) {
      rgba = new Uint8Array(4 * n);
    } else {
      glCanvas.hidden = true;
    }
    stats.chunks = data.points.chunks.length;
    stats.pointsAt = performance.now();
    buildLegend();
    applyFilters();
    loadChunks();
    if (!gl && n > 200000) say('This browser has no WebGL: the map may be slow. Browse the works by group instead.');
  }

  window.atlasMap = {
    stats,
    view,
    /** Screen position (css px, relative to the viewport) of point i, or null when filtered out. */
    screenOf: (i) => (shown && shown[i] ? { x: screenX(i), y: screenY(i) } : null),
    pick: (x, y, radius) => pick(x, y, radius),
    count: () => n,
    visibleCount: () => (data ? visibleCount() : 0),
    panBy: (dx, dy) => panBy(dx, dy),
    /** The [first, count] runs of points the WebGL layer is given for this view. */
    rangesInView: () => (data ? rangesInView(pointSize()) : []),
    /** RGBA of the drawn map at (x, y) css px in the viewport: the WebGL layer, drawn again just before. */
    pixelAt: (x, y) => {
      if (!gl) return null;
      const size = pointSize();
      gl.draw(glCanvas.width, glCanvas.height, base() * view.s * dpr, view.x * dpr, view.y * dpr, dotSide(size), BACKGROUND,
        rangesInView(size));
      return gl.pixel(Math.round(x * dpr), Math.round(y * dpr));
    },
    /** The image point i is drawn from at this zoom: its URL, natural width and pyramid level; null when none is in. */
    cellImage: (i) => {
      const c = levels.length ? cellOf(i, levelFor(pointSize())) : null;
      return c ? { url: c.img.src, width: c.img.naturalWidth, height: c.img.naturalHeight, level: c.level, cell: c.cell } : null;
    },
  };

  new ResizeObserver(resize).observe(viewport);
  resize();
  fetch(app.dataset.points)
    .then((r) => {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    })
    .then(start_)
    .catch(() => say('The map data could not be loaded.'));
})();
