// CARE+ page behaviour. Loaded as a file so the CSP needs no inline script.
(function () {
  "use strict";
  // Ask for confirmation before sensitive form submissions (data-confirm="question").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // Disable a submit button once used, so a double click sends one request.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") { return; }
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });
  // Downloads that take time (reports, exports): say so until the file starts arriving. The
  // server answers with a cookie holding the token the link was sent with.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-progress]") : null;
    var status = document.querySelector("[data-progress-status]");
    if (!link || !status) { return; }
    var token = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("download_token", token);
    link.href = url.toString();
    status.textContent = status.getAttribute("data-busy-text");
    link.setAttribute("aria-busy", "true");
    var timer = window.setInterval(function () {
      if (document.cookie.indexOf("careplus_download=" + token) === -1) { return; }
      window.clearInterval(timer);
      document.cookie = "careplus_download=; Max-Age=0; path=/; SameSite=Strict";
      link.removeAttribute("aria-busy");
      status.textContent = status.getAttribute("data-done-text");
    }, 500);
  });
})();
