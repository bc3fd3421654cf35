// paygate merchant portal: small conveniences only; every page works
// without script. Forms marked data-once disable their button when sent
// (refunds are idempotent anyway). A refund sheet being carried out
// (#batch[data-status-url]) polls its status every second and updates the
// counts and each line's status until the sheet is done, then reloads to
// show the final page; without script the page reloads itself instead.
(function () {
  "use strict";
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("button[type=submit]");
      if (b) { setTimeout(function () { b.disabled = true; }, 0); }
    });
  });

  var batch = document.querySelector("#batch[data-status-url]");
  if (!batch) { return; }
  var url = batch.getAttribute("data-status-url");
  function set(id, text) {
    var el = document.getElementById(id);
    if (el && el.textContent !== String(text)) { el.textContent = text; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (res) { if (!res.ok) { throw new Error(res.status); } return res.json(); })
      .then(function (s) {
        set("count-succeeded", s.succeeded);
        set("count-failed", s.failed);
        set("count-in-flight", s.in_flight);
        set("count-refunded", s.refunded);
        var state = document.getElementById("batch-state");
        if (state) { state.textContent = s.state_text; state.className = "badge badge-" + s.state; }
        s.lines.forEach(function (l) {
          var el = document.getElementById("st-" + l.no);
          if (el && el.textContent !== l.text) {
            el.textContent = l.text;
            el.className = "badge badge-" + l.status + " line-status";
          }
        });
        if (s.done) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
