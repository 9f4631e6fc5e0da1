// The workbench's keyboard (issue 19): j/k move, Enter opens, x selects, e closes, ? helps.
// No dependency; htmx swaps re-render the list, so state is read from the DOM each time.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=true], dialog[open]"));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-case-row]"));
  }

  function current() {
    return document.querySelector("[data-case-row].is-current");
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(current());
    var next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
    all.forEach(function (row) { row.classList.remove("is-current"); row.removeAttribute("aria-current"); });
    all[next].classList.add("is-current");
    all[next].setAttribute("aria-current", "true");
    all[next].scrollIntoView({ block: "nearest" });
    try { sessionStorage.setItem("workbench-current", all[next].dataset.caseId); } catch (e) { /* private mode */ }
  }

  function countPicked() {
    var n = document.querySelectorAll("input[name=ids][form=bulk]:checked").length;
    var out = document.querySelector("[data-selected-count]");
    if (out) out.textContent = String(n);
    var bar = document.getElementById("bulk");
    if (bar) bar.classList.toggle("is-active", n > 0);
    rows().forEach(function (row) {
      var box = row.querySelector("input[name=ids]");
      row.classList.toggle("is-picked", Boolean(box && box.checked));
    });
  }

  function openClose() {
    var box = document.getElementById("close-box");
    if (box) {
      box.open = true;
      var status = box.querySelector("select[name=status]");
      if (status) {
        var resolved = status.querySelector("option[value=resolved]");
        if (resolved) status.value = "resolved";
        status.focus();
      }
      return;
    }
    // In the inbox: open the current case with its close form.
    var row = current();
    if (row) window.location.href = row.dataset.href + "#close";
  }

  function help() {
    var dialog = document.getElementById("keys-help");
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var key = event.key;
    if (key === "?") { help(); event.preventDefault(); return; }
    if (key === "e") { openClose(); event.preventDefault(); return; }
    if (!document.querySelector("[data-workbench=inbox]")) return;
    if (key === "j") { move(1); event.preventDefault(); }
    else if (key === "k") { move(-1); event.preventDefault(); }
    else if (key === "Enter" && current() && !event.target.closest("a, button")) {
      window.location.href = current().dataset.href;
      event.preventDefault();
    } else if (key === "x" && current()) {
      var box = current().querySelector("input[name=ids]");
      if (box) { box.checked = !box.checked; countPicked(); }
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[name=ids]")) countPicked();
    if (event.target.matches("[data-bulk-action]")) showBulkFields(event.target.value);
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-keys-help]");
    if (opener) help();
  });

  function showBulkFields(action) {
    document.querySelectorAll("[data-bulk-for]").forEach(function (label) {
      label.hidden = label.dataset.bulkFor !== action;
    });
  }

  function start() {
    document.documentElement.classList.add("wb-js");
    // Filters are folded on a phone (the cases come first) and open on a wider screen.
    if (window.matchMedia("(min-width: 40rem)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
    }
    var action = document.querySelector("[data-bulk-action]");
    if (action) showBulkFields(action.value);
    countPicked();
    if (window.location.hash === "#close") openClose();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:afterSwap", countPicked);
})();
