// Archive page: show a document photo in the page only when the cadre asks (each view is logged),
// confirm before retiring, and keep a double click from submitting the upload twice.
(function () {
  "use strict";
  var viewer = document.getElementById("archive-viewer");
  document.querySelectorAll("a[data-archive-view]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!viewer) { return; }
      event.preventDefault();
      viewer.querySelector("figcaption span").textContent = link.dataset.label;
      viewer.querySelector("img").src = link.href;
      viewer.classList.remove("d-none");
      viewer.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
  if (viewer) {
    viewer.querySelector("button").addEventListener("click", function () {
      viewer.classList.add("d-none");
      viewer.querySelector("img").removeAttribute("src");
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; button.textContent = "正在上传…"; }, 0);
    });
  });
})();
