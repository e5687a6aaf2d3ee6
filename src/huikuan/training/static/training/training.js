// Keys of the play page (the forms work without it): 1–4 say a suggestion, "/" goes to the text box,
// Escape leaves it so the number keys work again. Enter in the box sends it (a one-line form does that).
"use strict";
(function () {
  document.addEventListener("keydown", function (event) {
    var page = document.querySelector("[data-training-run]");
    if (!page) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "input" || tag === "textarea" || tag === "select";
    if (event.key === "Escape" && typing) { event.target.blur(); return; }
    if (typing || event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (event.key === "/") {
      var box = page.querySelector("input[name=text]");
      if (box) { event.preventDefault(); box.focus(); }
      return;
    }
    var choice = page.querySelector("button[data-key='" + event.key + "']");
    if (choice) { event.preventDefault(); choice.click(); }
  });
  var box = document.querySelector("[data-training-run] input[name=text]");
  if (box && !box.value) { box.focus(); }
})();
