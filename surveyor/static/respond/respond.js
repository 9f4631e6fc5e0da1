// Respondent pages work without this file. With it, a failed request (network down,
// server error) is announced instead of leaving the button spinning in silence.
document.addEventListener("htmx:sendError", announce);
document.addEventListener("htmx:responseError", announce);
function announce() {
  var live = document.getElementById("live");
  if (live) {
    live.textContent = document.documentElement.lang.indexOf("zh") === 0
      ? "无法发送您的回答，请检查网络后重试。"
      : "Your answer could not be sent. Please check your connection and try again.";
    live.className = "alert error";
  }
}

// Embedded in another page (an <iframe> of a share link), a finished survey tells its
// host: window.parent receives {type: "surveyor:response-completed", slug: "..."}.
// The name is documented in docs/respond.md; the host should check event.origin.
function tellHost() {
  var sheet = document.getElementById("survey");
  if (!sheet || window.parent === window || sheet.dataset.told) return;
  if (sheet.dataset.view !== "thanks" && sheet.dataset.view !== "already") return;
  sheet.dataset.told = "1";
  var slug = location.pathname.split("/")[2] || "";
  window.parent.postMessage({type: "surveyor:response-completed", slug: slug}, "*");
}
document.addEventListener("DOMContentLoaded", tellHost);
document.addEventListener("htmx:afterSettle", tellHost);

// With JavaScript the optional questions left on the path come on one page, sent with one
// POST. A customer who leaves that page (closes the tab, switches away) before sending it
// keeps what they filled in: the browser sends it as a partial save (``partial=1``: kept,
// not sent; the server answers 204), as it would have been saved one question at a time.
var lastPartial = "";
function savePartial() {
  var form = document.querySelector("#survey form");
  if (!form || !navigator.sendBeacon || !window.URLSearchParams) return;
  var step = form.elements.step;
  if (!step || step.value.indexOf(",") < 0) return;
  var data = new URLSearchParams(new FormData(form));
  var filled = false;
  data.forEach(function (value, name) {
    if (name.indexOf("q_") === 0 && value.trim()) filled = true;
  });
  if (!filled) return;
  data.set("partial", "1");
  var body = data.toString();
  if (body === lastPartial) return;
  lastPartial = body;
  navigator.sendBeacon(form.getAttribute("action"), data);
}
document.addEventListener("visibilitychange", function () {
  if (document.visibilityState === "hidden") savePartial();
});
window.addEventListener("pagehide", savePartial);
