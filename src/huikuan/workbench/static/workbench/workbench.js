// The call screen: script steps, objection action buttons and keyboard shortcuts for outcome codes.
(function () {
  "use strict";
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function showStep(n) {
    $$("#script .step").forEach(function (el) { el.hidden = el.dataset.step !== String(n); });
    $$("#script .step-tab").forEach(function (el) { el.classList.toggle("active", el.dataset.step === String(n)); });
  }
  function pickOutcome(code) {
    var input = $("#outcome-form input[name=outcome][value='" + code + "']");
    if (input) { input.checked = true; }
  }
  function focusField(name) { var f = $("#outcome-form [name=" + name + "]"); if (f) { f.focus(); } }
  // Step 4 reads back the latest choice: a plan option of step 3 or the promise being typed.
  function showChoice(key) {
    $$("#confirm [data-choice]").forEach(function (el) { el.hidden = el.dataset.choice !== key; });
  }
  function promiseTyped() {
    var amount = $("#outcome-form [name=promise_amount]"), day = $("#outcome-form [name=promise_date]");
    return Boolean((amount && amount.value.trim()) || (day && day.value));
  }

  // What each objection action does on this screen (the server-side playbook names them).
  var ACTIONS = {
    open_bill: function () { var bill = $("#bill"); bill.open = true; bill.scrollIntoView({ block: "start" }); },
    offer_plan: function () { showStep(3); },
    record_promise: function () { pickOutcome("promise"); focusField("promise_amount"); },
    log_dispute: function () { pickOutcome("dispute"); },
    payment_reference: function () { focusField("payment_reference"); },
    log_refusal: function () { pickOutcome("refusal"); },
    callback: function () { pickOutcome("callback"); focusField("callback_at"); },
    end_call: function () { pickOutcome("hung_up"); },
    log_third_party: function () { pickOutcome("third_party"); },
    mark_wrong_number: function () { pickOutcome("wrong_number"); },
    stop_calls: function () { $("#outcome-form [name=stop_calls]").checked = true; },
    complaint_hold: function () { $("#outcome-form [name=complaint]").checked = true; }
  };

  // The plan panel's asks travel with the outcome form, so the save recomputes the plan taken from them.
  function setTerms(source) {
    $$("#outcome-form [data-plan-term]").forEach(function (input) {
      input.value = source ? (source.dataset[input.dataset.planTerm] || "") : "";
    });
  }
  // A designed option: the plan select shows it (an option of its own, marked as designed) and step 4 reads it back.
  function takeDesigned(button) {
    var select = $("#outcome-form [name=plan_kind]");
    var designed = $("option[data-designed]", select);
    if (!designed) {
      designed = document.createElement("option");
      designed.dataset.designed = "1";
      select.appendChild(designed);
    }
    designed.value = button.dataset.design;
    designed.textContent = button.dataset.text.length > 44 ? button.dataset.text.slice(0, 43) + "…" : button.dataset.text;
    designed.title = button.dataset.text;
    designed.selected = true;
    setTerms(button);
    pickOutcome("plan_accepted");
    showChoice("design:" + button.dataset.design);
    showStep(4);
    $("#script").scrollIntoView({ block: "start" });
  }

  document.addEventListener("click", function (event) {
    var designed = event.target.closest("[data-design]");
    if (designed) { takeDesigned(designed); return; }
    var target = event.target.closest("[data-step],[data-go],[data-action],[data-plan]");
    if (!target) { return; }
    if (target.dataset.go) { showStep(target.dataset.go); }
    else if (target.classList.contains("step-tab")) { showStep(target.dataset.step); }
    else if (target.dataset.action && ACTIONS[target.dataset.action]) { ACTIONS[target.dataset.action](); }
    else if (target.dataset.plan) {
      setTerms(null);
      $("#outcome-form [name=plan_kind]").value = target.dataset.plan;
      pickOutcome("plan_accepted");
      showChoice("plan:" + target.dataset.plan);
      showStep(4);
    }
  });

  document.addEventListener("input", function (event) {
    var name = event.target.name;
    if (name === "promise_amount" || name === "promise_date") { showChoice(promiseTyped() ? "promise" : ""); }
  });
  document.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "plan_kind") {
      var chosen = event.target.selectedOptions[0];
      var designed = Boolean(chosen && chosen.dataset.designed);
      if (!designed) { setTerms(null); }
      showChoice(event.target.value ? (designed ? "design:" : "plan:") + event.target.value : "");
    }
    else if (name === "promise_date") { showChoice(promiseTyped() ? "promise" : ""); }
  });

  document.addEventListener("keydown", function (event) {
    var form = $("#outcome-form");
    if (!form) { return; }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.altKey || event.metaKey) { return; }
    var radio = $("input[name=outcome][data-key='" + event.key + "']", form);
    if (radio) { radio.checked = true; event.preventDefault(); return; }
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      var active = $("#script .step-tab.active");
      var n = Number(active ? active.dataset.step : 1) + (event.key === "ArrowRight" ? 1 : -1);
      if (n >= 1 && n <= 4) { showStep(n); }
    }
    if (event.key === "b") { ACTIONS.open_bill(); }
  });
})();
