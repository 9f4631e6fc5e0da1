/* Surveyor's shared UI behaviour: the phone menu, toasts and confirm dialogs.
   No dependencies; every page works without it (the menu stays open, confirmations are
   skipped only where the browser has no <dialog>, toasts stay until the next page). */
(function () {
  "use strict";

  /* ---- phone menu: the button opens and closes the navigation panel ---- */
  function setupMenu() {
    var bar = document.getElementById("topbar");
    var toggle = bar && bar.querySelector(".nav-toggle");
    if (!toggle) return;
    function set(open) {
      bar.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () { set(!bar.classList.contains("open")); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && bar.classList.contains("open")) { set(false); toggle.focus(); }
    });
  }

  /* ---- toasts: HX-Trigger {"toast": {"message", "kind"}}, or any .toast added to #toasts ---- */
  var TOAST_MS = 5000;
  function dismissLater(el) {
    if (el.dataset.timed) return;
    el.dataset.timed = "1";
    var close = el.querySelector(".toast-close");
    if (close) close.addEventListener("click", function () { leave(el); });
    if (!el.classList.contains("error")) setTimeout(function () { leave(el); }, TOAST_MS);
  }
  function leave(el) {
    el.classList.add("leaving");
    setTimeout(function () { el.remove(); }, 250);
  }
  function showToast(message, kind) {
    var region = document.getElementById("toasts");
    if (!region || !message) return;
    var el = document.createElement("div");
    el.className = "toast " + (kind || "ok");
    var text = document.createElement("span");
    text.textContent = message;
    el.appendChild(text);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", region.dataset.close || "Close");
    close.textContent = "×";
    el.appendChild(close);
    region.appendChild(el);
    dismissLater(el);
  }
  window.surveyorToast = showToast;
  function setupToasts() {
    var region = document.getElementById("toasts");
    if (!region) return;
    region.querySelectorAll(".toast").forEach(dismissLater);
    new MutationObserver(function () { region.querySelectorAll(".toast").forEach(dismissLater); })
      .observe(region, { childList: true, subtree: true });
    document.body.addEventListener("toast", function (e) {
      var d = e.detail || {};
      var value = d.value !== undefined ? d.value : d;
      if (typeof value === "string") showToast(value, "ok");
      else showToast(value.message, value.kind);
    });
  }

  /* ---- confirm dialogs: hx-confirm (htmx) and data-confirm (plain forms, links) ---- */
  function ask(question, trigger) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      return Promise.resolve(window.confirm(question));
    }
    var ok = dialog.querySelector("#confirm-ok");
    var label = trigger && trigger.closest("[data-confirm-label]");
    ok.textContent = label ? label.getAttribute("data-confirm-label") : ok.dataset.label;
    var danger = !trigger || !trigger.closest("[data-confirm-safe]");
    ok.className = danger ? "danger" : "primary";
    dialog.querySelector("#confirm-text").textContent = question;
    dialog.returnValue = "";
    dialog.showModal();
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function done() {
        dialog.removeEventListener("close", done);
        resolve(dialog.returnValue === "ok");
        if (trigger && document.contains(trigger) && trigger.focus) trigger.focus();
      });
    });
  }
  window.surveyorConfirm = ask;
  function setupConfirm() {
    document.body.addEventListener("htmx:confirm", function (e) {
      if (!e.detail.question) return;
      e.preventDefault();
      ask(e.detail.question, e.detail.elt).then(function (yes) { if (yes) e.detail.issueRequest(true); });
    });
    document.addEventListener("submit", function (e) {
      var form = e.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (!question || form.dataset.confirmed) return;
      e.preventDefault();
      var submitter = e.submitter;
      ask(question, form).then(function (yes) {
        if (!yes) return;
        form.dataset.confirmed = "1";
        if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
        delete form.dataset.confirmed;
      });
    });
  }

  /* ---- tables that scroll sideways can be scrolled with the keyboard too ---- */
  function focusableScrollers(root) {
    (root || document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) wrap.setAttribute("tabindex", "0");
      }
    });
  }
  function setupScrollers() {
    focusableScrollers(document);
    document.body.addEventListener("htmx:afterSettle", function () { focusableScrollers(document); });
    window.addEventListener("resize", function () { focusableScrollers(document); });
  }

  function start() { setupMenu(); setupToasts(); setupConfirm(); setupScrollers(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
