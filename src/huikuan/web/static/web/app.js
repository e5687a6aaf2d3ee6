// Behaviour the pages ask for with data- attributes. The Content-Security-Policy runs no inline script,
// no on…= handler and no hx-on (htmx would eval it), so this file holds what those would have.
"use strict";

// A select that submits its form when changed (the language menu).
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-submit-on-change]");
  if (field && field.form) {
    field.form.submit();
  }
});

// htmx leaves error answers unswapped; inside [data-swap-not-found] a 404 is an answer to show
// (the template preview's "no such case you may see").
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 404 && event.target.closest("[data-swap-not-found]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
