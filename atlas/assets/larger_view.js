// atlas: the larger view of a work on its artwork page (templates/larger_view.html). The image's link leads
// to the larger JPEG without script; with it, the link opens a modal <dialog> holding that image. showModal()
// keeps focus inside and closes on Escape; on close, focus goes back to the link. With deep zoom on the page,
// "Zoom into the full image" closes the dialog and starts the deep-zoom viewer (assets/deepzoom.js).
(function () {
  "use strict";
  var link = document.querySelector("a[data-larger]");
  var dialog = document.querySelector("dialog.larger-dialog");
  if (!link || !dialog || typeof dialog.showModal !== "function") { return; }
  var image = dialog.querySelector("img[data-src]");
  var zoom = dialog.querySelector("[data-larger-zoom]");

  link.addEventListener("click", function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }  // a new tab: the file
    event.preventDefault();
    if (!image.getAttribute("src")) { image.setAttribute("src", image.getAttribute("data-src")); }
    dialog.showModal();
    dialog.querySelector("[data-larger-close]").focus();
  });
  dialog.querySelector("[data-larger-close]").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("click", function (event) { if (event.target === dialog) { dialog.close(); } });  // the backdrop
  dialog.addEventListener("close", function () { link.focus(); });
  if (zoom) {
    var start = document.querySelector(".deep-zoom-open");
    zoom.hidden = !start;
    zoom.addEventListener("click", function () {
      dialog.close();
      if (start) { start.click(); }
    });
  }
})();
