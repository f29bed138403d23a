/* Points screens: a chosen rule fills in points, category and reason; a submit button is
   pressed once; a form with data-confirm asks first. The pages work without this file. */
(function () {
  "use strict";

  function fillFromRule(select) {
    var form = select.form;
    var option = select.options[select.selectedIndex];
    var hint = form.querySelector("#photo-hint");
    var photos = form.querySelector("#photos");
    if (!option || !option.value) {
      if (hint) { hint.textContent = "（可选，最多 9 张）"; }
      return;
    }
    var set = function (name, value) {
      var field = form.querySelector("[name=" + name + "]");
      if (field) { field.value = value; }
    };
    set("points", option.dataset.points);
    set("category", option.dataset.category);
    set("reason", option.dataset.item);
    var needed = option.dataset.evidence === "1";
    if (hint) { hint.textContent = needed ? "（这条细则必须附照片）" : "（可选，最多 9 张）"; }
    if (photos) { photos.required = needed; }
  }

  document.querySelectorAll("select[name=rule_id]").forEach(function (select) {
    select.addEventListener("change", function () { fillFromRule(select); });
  });

  // One press per page: a double click or an impatient second click sends nothing more.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      if (form.querySelector("[data-once]")) {
        form.dataset.sent = "1";
        form.querySelectorAll("[data-once]").forEach(function (button) {
          button.classList.add("disabled");
          button.textContent = "正在提交…";
        });
      }
    });
  });

  // Back to a page kept by the browser: buttons work again (the same key still awards once).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("[data-once]").forEach(function (button) {
        button.classList.remove("disabled");
        button.textContent = button.dataset.once || "提交";
      });
    });
  });

  // Bulk form: tick or untick every household of the preview at once.
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name=" + box.dataset.checkAll + "]:not(:disabled)").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });
})();
