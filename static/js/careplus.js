// CARE+ page behaviour. Loaded as a file so the CSP needs no inline script.
(function () {
  "use strict";
  // Character counters (components/char_count.html): the browser's maxlength would cut a pasted
  // text without a word, so it is lifted; the counter says how long the text is, an over-long
  // text is refused before sending with the field's message, and the server refuses it too.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return String(values[key]); });
  }
  function counted(counter) {
    return document.getElementById(counter.getAttribute("data-count-for"));
  }
  function updateCounter(counter, field) {
    var max = parseInt(counter.getAttribute("data-max"), 10);
    // Sent line breaks are CR LF: count them as the server will.
    var count = Array.from(field.value.replace(/\r?\n/g, "\r\n")).length;
    var values = { count: count, max: max, over: count - max };
    var over = count > max;
    counter.textContent = fill(counter.getAttribute(over ? "data-over-text" : "data-count-text"), values);
    counter.classList.toggle("field__count--over", over);
    if (over) {
      counter.hidden = false;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("data-count-invalid", "");
    } else if (field.hasAttribute("data-count-invalid")) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("data-count-invalid");
    }
    return over ? values : null;
  }
  document.querySelectorAll("[data-count-for]").forEach(function (counter) {
    var field = counted(counter);
    if (!field) { return; }
    field.removeAttribute("maxlength");
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(counter.id) === -1) { described.push(counter.id); }
    field.setAttribute("aria-describedby", described.join(" "));
    field.addEventListener("input", function () { updateCounter(counter, field); });
    updateCounter(counter, field);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var first = null;
    form.querySelectorAll("[data-count-for]").forEach(function (counter) {
      var field = counted(counter);
      if (!field || field.form !== form) { return; }
      var values = updateCounter(counter, field);
      var box = counter.closest(".field");
      var error = box ? box.querySelector("[data-count-error]") : null;
      if (!values) {
        if (error) { error.remove(); }
        return;
      }
      if (!error && box) {
        error = document.createElement("div");
        error.className = "field__errors";
        error.setAttribute("role", "alert");
        error.setAttribute("data-count-error", "");
        error.appendChild(document.createElement("p"));
        counter.insertAdjacentElement("afterend", error);
      }
      if (error) { error.firstChild.textContent = fill(counter.getAttribute("data-error-text"), values); }
      if (box) { box.classList.add("field--error"); }
      first = first || field;
    });
    if (first) {
      event.preventDefault();
      first.focus();
    }
  });
  // Ask for confirmation before sensitive form submissions (data-confirm="question").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if (event.defaultPrevented) { return; }
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
