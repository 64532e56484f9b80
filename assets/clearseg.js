/* Clearseg in the browser: follow the system's light or dark preference, move between report tabs
   with the keyboard, and copy a link or the SQL. Dash serves every file of assets/ on each page. */
(function () {
  "use strict";

  /* Light or dark: Bootstrap 5.3 reads data-bs-theme; assets/clearseg.css has the rest. */
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function applyTheme() {
    document.documentElement.setAttribute("data-bs-theme", dark && dark.matches ? "dark" : "light");
  }
  applyTheme();
  if (dark && dark.addEventListener) { dark.addEventListener("change", applyTheme); }

  /* Tabs (WAI-ARIA pattern): only the open tab is in the Tab order; the arrow keys, Home and End
     move the focus along the bar; Enter or Space presses the focused tab's button. */
  function tabsOf(tab) {
    return Array.prototype.slice.call(tab.parentNode.querySelectorAll("[role=tab]"));
  }
  function select(tab) {
    tabsOf(tab).forEach(function (other) {
      var on = other === tab;
      other.classList.toggle("active", on);
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.setAttribute("tabindex", on ? "0" : "-1");
    });
  }
  function focusTab(tab) {
    tabsOf(tab).forEach(function (other) { other.setAttribute("tabindex", other === tab ? "0" : "-1"); });
    tab.focus();
  }
  var MOVES = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[role=tab]");
    if (!tab) { return; }
    var tabs = tabsOf(tab), at = tabs.indexOf(tab), next = null;
    if (event.key in MOVES) { next = tabs[(at + MOVES[event.key] + tabs.length) % tabs.length]; }
    if (event.key === "Home") { next = tabs[0]; }
    if (event.key === "End") { next = tabs[tabs.length - 1]; }
    if (next) { event.preventDefault(); focusTab(next); }
  });
  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest("[role=tab]");
    if (tab) { select(tab); }
  });

  /* Scroll boxes: show the "scroll sideways" cue only while the content is wider than the box. */
  function markOverflow() {
    var boxes = document.querySelectorAll(".scroll-box");
    Array.prototype.forEach.call(boxes, function (box) {
      box.parentNode.classList.toggle("overflowing", box.scrollWidth > box.clientWidth + 1);
    });
  }
  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; markOverflow(); });
  }
  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("resize", schedule);

  /* Copy buttons: the share link's field or the rules.sql block, with a fallback for pages not
     served over HTTPS (where navigator.clipboard is missing). */
  var SOURCES = { "share-copy": "share-url", "rules-sql-copy": "rules-sql-text" };
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    document.body.removeChild(area);
    return done;
  }
  window.clearsegCopy = function (buttonId) {
    var source = document.getElementById(SOURCES[buttonId] || "");
    var text = source ? (source.value !== undefined ? source.value : source.textContent) : "";
    if (!text) { return "Nothing to copy yet."; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).catch(function () { fallbackCopy(text); });
      return "Copied.";
    }
    return fallbackCopy(text) ? "Copied." : "Select the text and copy it (Ctrl+C).";
  };
})();
