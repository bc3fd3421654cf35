// paygate cashier: countdown, bank detection, single submit, polling and the
// return redirect. Plain JavaScript, no libraries; the pages work without it.
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(s) {
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h > 0 ? h + ":" + pad(m) : pad(m)) + ":" + pad(sec);
  }

  // Countdown to expiry, measured from page load so the payer's clock does
  // not matter. At zero the page reloads and the server shows "expired".
  function countdown(el) {
    var end = Date.now() + parseInt(el.getAttribute("data-seconds"), 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      el.textContent = clock(left);
      if (left <= 60) { el.classList.add("urgent"); }
      if (left === 0) { window.location.reload(); return; }
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  // Card number: group digits by four and pick the bank from the prefix.
  function cardInput(input) {
    var radios = document.querySelectorAll("input[name=bank]");
    var hint = document.getElementById("bank-detected");
    function detect() {
      var digits = input.value.replace(/\D/g, "");
      var found = false;
      for (var i = 0; i < radios.length; i++) {
        var prefixes = (radios[i].getAttribute("data-prefixes") || "").split(" ");
        for (var j = 0; j < prefixes.length; j++) {
          if (prefixes[j] && digits.indexOf(prefixes[j]) === 0) {
            radios[i].checked = true;
            found = true;
          }
        }
      }
      if (hint) { hint.hidden = !found; }
    }
    input.addEventListener("input", function () {
      var digits = input.value.replace(/\D/g, "").slice(0, 19);
      var grouped = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
      if (grouped !== input.value) { input.value = grouped; }
      detect();
    });
    detect();
  }

  // One submit only: the button is disabled while the bank answers.
  function singleSubmit(form) {
    form.addEventListener("submit", function () {
      var btn = form.querySelector("button[type=submit]");
      if (btn) {
        window.setTimeout(function () {
          btn.disabled = true;
          btn.textContent = btn.getAttribute("data-busy");
        }, 0);
      }
    });
  }

  // Processing: ask for the status until the outcome is known, then reload.
  function poll(el) {
    var url = el.getAttribute("data-poll");
    var delay = 1000;
    function ask() {
      fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.status && body.status !== "processing") { window.location.reload(); return; }
          window.setTimeout(ask, delay);
        })
        .catch(function () {
          delay = Math.min(delay * 2, 10000);
          window.setTimeout(ask, delay);
        });
    }
    window.setTimeout(ask, delay);
  }

  // Success: go back to the shop after a few seconds.
  function redirect(link) {
    var left = parseInt(link.getAttribute("data-redirect"), 10);
    var note = document.getElementById("redirect-note");
    function tick() {
      if (note) {
        note.textContent = note.getAttribute("data-template").replace("{n}", String(left));
        note.hidden = false;
      }
      if (left <= 0) { window.location.href = link.href; return; }
      left--;
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el;
    if ((el = document.getElementById("countdown"))) { countdown(el); }
    if ((el = document.getElementById("card_no"))) { cardInput(el); }
    if ((el = document.getElementById("panel-bankcard"))) { singleSubmit(el); }
    if ((el = document.getElementById("panel-account"))) { singleSubmit(el); }
    if ((el = document.getElementById("processing"))) { poll(el); }
    if ((el = document.getElementById("return-link")) && el.hasAttribute("data-redirect")) { redirect(el); }
  });
})();
