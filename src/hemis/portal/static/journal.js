/* hemis teacher journal: marks for a whole group from the keyboard. Enter or ↓ moves to the next
   student, ↑ to the previous one, Enter after the last one to the save button. Without this script
   Tab moves between the inputs and the form still saves. */
"use strict";
(function () {
  var form = document.querySelector("form[data-keys]");
  if (!form) return;
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-mark]"));
  var save = form.querySelector("[data-save]");
  form.addEventListener("keydown", function (event) {
    var at = inputs.indexOf(event.target);
    if (at < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    var to = null;
    if (event.key === "Enter" || event.key === "ArrowDown") {
      to = inputs[at + 1] || (event.key === "Enter" ? save : null);
    } else if (event.key === "ArrowUp") {
      to = inputs[at - 1] || null;
    } else {
      return;
    }
    event.preventDefault(); // Enter must not send the form half-typed; arrows must not change a value
    if (to) {
      to.focus();
      if (to.select) to.select();
    }
  });
})();
