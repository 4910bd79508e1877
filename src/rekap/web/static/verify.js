// Keyboard sugar for the entry form: Enter moves to the next number, arrows move up and down,
// Enter on the last number saves (once every number is typed or ticked "cannot read"; Tab
// reaches each box, Space ticks it, Enter there moves on too). What is typed is never
// rewritten: a number that is not 0–999 (a letter O for a zero, a fourth digit) is marked at
// once and the form is not sent until it is put right. The form is sent once: a second click
// or Enter while it is on its way does nothing. The form works the same without this script
// (the server checks every number and keeps what was typed). It also warns as the person's
// hold of the form nears its end.
(function () {
  "use strict";
  var form = document.getElementById("entry");
  if (!form) return;
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[inputmode=numeric]"));
  var sending = false;

  function box(input) { return document.getElementById("u-" + input.name); }

  function answered(input) {  // a number typed, or its box "cannot read" ticked
    var ticked = box(input);
    return input.value.trim() !== "" || (ticked !== null && ticked.checked);
  }

  function valid(input) {  // empty (not answered yet) or a whole number 0–999
    return /^\s*[0-9]{0,3}\s*$/.test(input.value);
  }

  function mark(input) {  // the field's own mark, beside the server's (same look)
    var bad = !valid(input);
    var note = document.getElementById("j-" + input.name);
    if (bad) {
      input.setAttribute("aria-invalid", "true");
      if (note === null) {
        note = document.createElement("span");
        note.className = "error";
        note.id = "j-" + input.name;
        note.setAttribute("role", "alert");
        note.textContent = form.getAttribute("data-invalid") || "0–999";
        input.parentNode.appendChild(note);
        input.setAttribute("aria-describedby", note.id);
      }
    } else if (note !== null) {
      note.parentNode.removeChild(note);
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
    return !bad;
  }

  function focusAt(i) {
    var target = inputs[Math.max(0, Math.min(inputs.length - 1, i))];
    target.focus();
    target.select();
    var row = target.closest("tr");  // its crop beside it, whole when the screen holds it
    var above = parseFloat(window.getComputedStyle(row).scrollMarginTop) || 0;  // the names
    var fits = row.getBoundingClientRect().height + above <= window.innerHeight;
    row.scrollIntoView({ block: fits ? "center" : "start" });
  }

  function saveOrShowWhatIsMissing() {
    var wrong = inputs.filter(function (x) { return !mark(x); })[0];
    var empty = inputs.filter(function (x) { return !answered(x); })[0];
    if (wrong) { focusAt(inputs.indexOf(wrong)); }
    else if (empty) { focusAt(inputs.indexOf(empty)); }
    else { form.requestSubmit(); }
  }

  inputs.forEach(function (input, i) {
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault();
        if (i === inputs.length - 1) { saveOrShowWhatIsMissing(); } else { focusAt(i + 1); }
      } else if (e.key === "ArrowDown") { e.preventDefault(); focusAt(i + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); focusAt(i - 1); }
    });
    input.addEventListener("input", function () { mark(input); });
    var ticked = box(input);
    if (ticked !== null) {  // Enter on a box moves on, as on a number (not a half-typed save)
      ticked.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") return;
        e.preventDefault();
        if (i === inputs.length - 1) { saveOrShowWhatIsMissing(); } else { focusAt(i + 1); }
      });
    }
  });

  form.addEventListener("submit", function (e) {
    if (sending) { e.preventDefault(); return; }
    sending = true;
    form.setAttribute("aria-busy", "true");
  });
  window.addEventListener("pageshow", function () {  // back to this page: it may be sent again
    sending = false;
    form.removeAttribute("aria-busy");
  });

  // The person's hold of the form: the server says for how many seconds it stays theirs. Two
  // minutes before it lapses, and once it has, the note beside "skip" says so, as an alert;
  // time is counted from when the page came (a device's clock may be set wrong), and checked
  // again when the page is looked at after the phone or laptop slept.
  var hold = document.getElementById("hold");
  var holdFor = hold ? parseInt(hold.getAttribute("data-held-for"), 10) : NaN;
  if (holdFor > 0) {
    var shownAt = Date.now();
    var said = "";
    var sayHold = function () {
      var left = holdFor - (Date.now() - shownAt) / 1000;
      var now = left <= 0 ? "data-lapsed" : left <= 120 ? "data-ending" : "";
      if (now === "" || now === said) return;
      said = now;
      hold.textContent = hold.getAttribute(now);
      hold.className = "error";
      hold.setAttribute("role", "alert");
    };
    window.setInterval(sayHold, 5000);
    document.addEventListener("visibilitychange", sayHold);
  }

  var first = form.querySelector("input[aria-invalid=true][inputmode=numeric]") ||
    inputs.filter(function (x) { return x.value === ""; })[0] || inputs[0];
  if (first) focusAt(inputs.indexOf(first));
})();
