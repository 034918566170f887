// atlas: "Copy link" and "Print" on pair pages. No network, no library; the buttons stay hidden without scripts.
(function () {
  "use strict";
  var status = document.querySelector("[data-share-status]");
  function say(text) { if (status) { status.textContent = text; } }
  function fallbackCopy(text) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "fixed";
    field.style.opacity = "0";
    document.body.appendChild(field);
    field.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(field);
    return ok;
  }
  // The printed and copied address is the one in the browser, which also works when site_url is not set.
  document.querySelectorAll("[data-page-url]").forEach(function (el) { el.textContent = location.href; });
  var copy = document.querySelector("[data-copy-link]");
  if (copy) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var link = location.href;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(link).then(function () { say("Link copied."); },
          function () { say(fallbackCopy(link) ? "Link copied." : "Copy this link: " + link); });
      } else {
        say(fallbackCopy(link) ? "Link copied." : "Copy this link: " + link);
      }
    });
  }
  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
