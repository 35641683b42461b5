// Behaviour console pages ask for by data attributes: inline handlers are refused by the
// Content-Security-Policy (script-src 'self' 'nonce-…'), so they live here.
document.addEventListener("click", function (e) {
  var el = e.target.closest ? e.target.closest("[data-print]") : null;
  if (el) { e.preventDefault(); window.print(); }
});
