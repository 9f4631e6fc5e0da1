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
