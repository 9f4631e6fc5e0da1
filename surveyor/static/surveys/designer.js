// The survey designer's few behaviours htmx cannot express: reordering endings by drag
// and drop or by the arrow keys on a focused handle (each posts the same move form as
// the ↑/↓ buttons, which work without JavaScript), and confirming "discard changes".
(function () {
  "use strict";

  function move(section, id, to, via) {
    var token = section.querySelector("input[name=_csrf]");
    htmx.ajax("POST", section.dataset.base + "/" + encodeURIComponent(id) + "/move", {
      target: "#endings",
      swap: "outerHTML",
      values: { _csrf: token ? token.value : "", to: String(to), via: via },
    });
  }

  document.addEventListener("keydown", function (event) {
    var handle = event.target.closest && event.target.closest(".drag-handle");
    if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    move(handle.closest("#endings"), handle.dataset.ending, event.key === "ArrowUp" ? "up" : "down", "handle");
  });

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-ending][draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.ending);
  });
  document.addEventListener("dragover", function (event) {
    var card = event.target.closest && event.target.closest("li[data-ending]");
    if (!dragged || !card || card === dragged || card.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    var box = card.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    card.parentNode.insertBefore(dragged, after ? card.nextSibling : card);
  });
  document.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });
  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    var cards = Array.prototype.slice.call(card.parentNode.querySelectorAll(":scope > li[data-ending]"));
    var position = cards.indexOf(card) + 1;
    if (String(position) !== card.dataset.position) move(card.closest("#endings"), card.dataset.ending, position, "handle");
  });

  // Forms with data-confirm are confirmed by the shared dialog (static/ui.js).
})();
