// Account pages: offer only the regions and groups that fit the chosen role (the server checks
// again), and ask before disabling an account or resetting its second factor.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  var role = document.getElementById("role");
  var region = document.getElementById("region_id");
  var group = document.getElementById("group_id");
  var groupField = document.getElementById("group-field");
  if (!role || !region) { return; }
  function sync() {
    var level = role.selectedOptions[0] ? role.selectedOptions[0].dataset.level : "";
    Array.prototype.forEach.call(region.options, function (option) {
      option.hidden = Boolean(level && option.dataset.level && option.dataset.level !== level);
      if (option.hidden && option.selected) { region.value = ""; }
    });
    var leader = role.value === "group_leader";
    if (groupField) { groupField.hidden = !leader; }
    if (group) {
      Array.prototype.forEach.call(group.options, function (option) {
        option.hidden = Boolean(option.dataset.village && option.dataset.village !== region.value);
        if (option.hidden && option.selected) { group.value = ""; }
      });
      if (!leader) { group.value = ""; }
    }
  }
  role.addEventListener("change", sync);
  region.addEventListener("change", sync);
  sync();
})();
