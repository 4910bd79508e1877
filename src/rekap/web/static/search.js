// Instant place search: results as one types (the form still works without this script).
(function () {
  "use strict";
  var form = document.querySelector("form[data-instant]");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector(".hits");
  var endpoint = form.getAttribute("data-instant");
  var timer = null, controller = null, selected = -1;

  function clear() { list.innerHTML = ""; list.hidden = true; selected = -1; }

  function show(hits) {
    list.innerHTML = "";
    hits.forEach(function (hit, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "hit-" + i;
      var a = document.createElement("a");
      a.href = hit.url;
      a.textContent = hit.nama;
      var small = document.createElement("small");
      small.textContent = [hit.level, hit.kode].concat(hit.parents).join(" · ");
      a.appendChild(small);
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = hits.length === 0;
    selected = -1;
  }

  function ask() {
    var q = input.value.trim();
    if (q.length < 2) { clear(); return; }
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch(endpoint + "?q=" + encodeURIComponent(q), controller ? { signal: controller.signal } : {})
      .then(function (r) { return r.ok ? r.json() : { hits: [] }; })
      .then(function (body) { if (input.value.trim() === q) show(body.hits); })
      .catch(function () { /* aborted or offline: the form still submits */ });
  }

  function move(step) {
    var items = list.querySelectorAll("li");
    if (!items.length) return;
    if (selected >= 0) items[selected].removeAttribute("aria-selected");
    selected = (selected + step + items.length) % items.length;
    items[selected].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[selected].id);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { move(1); e.preventDefault(); }
    else if (e.key === "ArrowUp") { move(-1); e.preventDefault(); }
    else if (e.key === "Escape") { clear(); }
    else if (e.key === "Enter" && selected >= 0) {
      e.preventDefault();
      window.location.href = list.querySelectorAll("li a")[selected].href;
    }
  });
  document.addEventListener("click", function (e) { if (!form.contains(e.target)) clear(); });
})();
