// Keyboard sugar for the entry form: Enter moves to the next number, arrows move up and down,
// Enter on the last number saves (once every number is typed or ticked "cannot read"; Tab
// reaches each box, Space ticks it). The form works the same without this script.
(function () {
  "use strict";
  var form = document.getElementById("entry");
  if (!form) return;
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[inputmode=numeric]"));

  function answered(input) {  // a number typed, or its box "cannot read" ticked
    var box = document.getElementById("u-" + input.name);
    return input.value.trim() !== "" || (box !== null && box.checked);
  }

  function focusAt(i) {
    var target = inputs[Math.max(0, Math.min(inputs.length - 1, i))];
    target.focus();
    target.select();
    target.closest("tr").scrollIntoView({ block: "center" });
  }

  inputs.forEach(function (input, i) {
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        if (i === inputs.length - 1) {
          var empty = inputs.filter(function (x) { return !answered(x); })[0];
          if (empty) { focusAt(inputs.indexOf(empty)); } else { form.requestSubmit(); }
        } else {
          focusAt(i + 1);
        }
      } else if (e.key === "ArrowDown") { e.preventDefault(); focusAt(i + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); focusAt(i - 1); }
    });
    input.addEventListener("input", function () {
      input.value = input.value.replace(/[^0-9]/g, "").slice(0, 3);
    });
  });
  var first = inputs.filter(function (x) { return x.value === ""; })[0] || inputs[0];
  if (first) focusAt(inputs.indexOf(first));
})();
