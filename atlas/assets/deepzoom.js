/* The deep-zoom view of an artwork page (OpenSeadragon, vendored in assets/vendor/openseadragon/).
 *
 * The page image stays as it is until the reader asks to zoom: then the viewer replaces it. Local tiles
 * are a static IIIF level-0 service under iiif/<id>/image/: their info.json is read from this page's own
 * origin and its id set to that folder, so every tile is requested from where the page came from, even
 * when the site was built for another host. A collection's own IIIF service (deep_zoom.source: service)
 * is handed to OpenSeadragon as it is. No navigation images are loaded (the controls are plain buttons).
 */
(function () {
  'use strict';

  const box = document.querySelector('.deep-zoom[data-info]');
  if (!box || typeof OpenSeadragon !== 'function') return;
  const open = box.querySelector('.deep-zoom-open');
  const area = box.querySelector('.deep-zoom-viewer');
  const figure = box.closest('figure');
  let viewer = null;
  open.hidden = false; // without scripts there is nothing to open: the button stays hidden

  async function tileSource() {
    const info = box.dataset.info;
    if (box.dataset.local !== 'true') return info;
    const response = await fetch(info);
    if (!response.ok) throw new Error('deep zoom: ' + info + ' answered ' + response.status);
    const json = await response.json();
    json.id = new URL(info, window.location.href).href.replace(/\/info\.json$/, '');
    return json;
  }

  async function start() {
    open.disabled = true;
    const source = await tileSource();
    figure.classList.add('zooming');
    area.hidden = false;
    viewer = OpenSeadragon({
      element: area,
      tileSources: source,
      showNavigationControl: false, // its button images would be requests for files the site does not have
      crossOriginPolicy: false,
      gestureSettingsMouse: { clickToZoom: true },
      visibilityRatio: 1,
    });
    window.atlasDeepZoom = viewer; // for tests and the curious
    box.querySelector('.deep-zoom-controls').hidden = false;
    open.hidden = true;
  }

  open.addEventListener('click', () => { start().catch((e) => { console.error(e); open.disabled = false; }); });
  box.querySelectorAll('[data-zoom]').forEach((button) => {
    button.addEventListener('click', () => {
      if (!viewer) return;
      const step = button.dataset.zoom;
      if (step === 'home') viewer.viewport.goHome();
      else viewer.viewport.zoomBy(step === 'in' ? 2 : 0.5);
      viewer.viewport.applyConstraints();
    });
  });
})();
