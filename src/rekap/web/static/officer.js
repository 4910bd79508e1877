// The officer's upload page: sign each page photo with this phone's Ed25519 key and send it,
// retrying until the server's receipt comes back. Jobs live in IndexedDB, so a closed tab or a
// dead connection loses nothing; the server takes the same photo once only (by its hash).
(function () {
  "use strict";
  var root = document.getElementById("uploader");
  if (!root) return;
  var kode = root.getAttribute("data-kode");
  var account = root.getAttribute("data-account");
  var deviceLine = document.getElementById("device");
  var db = null, device = null, pumping = false, wake = null, polls = 0;

  function msg(name, values) {
    var text = root.getAttribute("data-msg-" + name) || name;
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }
  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function store(name, mode) { return db.transaction(name, mode || "readonly").objectStore(name); }
  function openDb() {
    var r = indexedDB.open("rekap-officer", 1);
    r.onupgradeneeded = function () {
      r.result.createObjectStore("keys");
      r.result.createObjectStore("jobs", { keyPath: "id" });
    };
    return request(r);
  }
  function saveJob(job) { return request(store("jobs", "readwrite").put(job)); }
  function allJobs() {
    return request(store("jobs").getAll()).then(function (jobs) {
      return jobs.filter(function (j) { return j.kode === kode; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }

  // The device key: made once in this browser (the private half cannot be exported), then
  // registered with the server, which answers with the device id.
  function ensureKey() {
    return request(store("keys").get(account)).then(function (found) {
      if (found) return found;
      return crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
        .then(function (pair) {
          return crypto.subtle.exportKey("raw", pair.publicKey).then(function (raw) {
            var record = { privateKey: pair.privateKey, publicHex: hex(raw), deviceId: null };
            return request(store("keys", "readwrite").put(record, account)).then(function () {
              return record;
            });
          });
        });
    });
  }
  function register(record, attempt) {
    if (record.deviceId) return Promise.resolve(record);
    return fetch("/api/v1/devices", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ public_key: record.publicHex })
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (body) {
      record.deviceId = body.device_id;
      return request(store("keys", "readwrite").put(record, account)).then(function () {
        return record;
      });
    }).catch(function () {
      deviceLine.textContent = msg("device-wait");
      var delay = Math.min(60, Math.pow(2, attempt || 0));
      return new Promise(function (resolve) { setTimeout(resolve, delay * 1000); })
        .then(function () { return register(record, (attempt || 0) + 1); });
    });
  }

  function show(job) {
    var out = document.getElementById("status-" + job.page);
    if (!out) return;
    var text = msg("waiting"), kind = "";
    if (job.state === "sending") text = msg("sending");
    else if (job.state === "retry") {
      text = msg("retry", { s: Math.max(1, Math.round((job.nextAt - Date.now()) / 1000)) });
      kind = "retry";
    } else if (job.state === "done") {
      text = msg(job.receipt.duplicate ? "duplicate" : "done", { id: job.receipt.photo_id });
      if (job.processing) text += " · " + msg("state", { state: job.processing });
      kind = "done";
    } else if (job.state === "failed") { text = msg("failed", { reason: job.error }); kind = "failed"; }
    out.textContent = text;
    out.className = "up-status " + kind;
    out.setAttribute("data-state", job.state);
    if (job.receipt) out.setAttribute("data-photo-id", job.receipt.photo_id);
  }

  function retryLater(job) {
    job.attempts = (job.attempts || 0) + 1;
    job.state = "retry";
    job.nextAt = Date.now() + Math.min(60, Math.pow(2, job.attempts)) * 1000;
    return saveJob(job).then(function () { show(job); });
  }

  function send(job) {
    job.state = "sending";
    show(job);
    // The photo's bytes are the whole body; what the phone signed travels in headers.
    return fetch("/api/v1/tps/" + kode + "/photos/" + job.page, {
      method: "PUT",
      body: job.blob,
      credentials: "same-origin",
      headers: {
        "Content-Type": job.blob.type || "image/jpeg",
        "X-Captured-At": job.capturedAt,
        "X-Device-Id": device.deviceId,
        "X-Signature": job.signature
      }
    }).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        return r.json().then(function (receipt) {
          job.state = "done";
          job.receipt = receipt;
          job.blob = null;
          return saveJob(job).then(function () { show(job); });
        });
      }
      if (r.status === 429 || r.status >= 500) return retryLater(job);
      return r.json().catch(function () { return {}; }).then(function (body) {
        job.state = "failed";
        job.error = (body.error && body.error.message) || ("HTTP " + r.status);
        return saveJob(job).then(function () { show(job); });
      });
    }, function () { return retryLater(job); });
  }

  function pump() {
    if (pumping || !device || !device.deviceId) return;
    pumping = true;
    clearTimeout(wake);
    allJobs().then(function (jobs) {
      var chain = Promise.resolve();
      jobs.forEach(function (job) {
        var due = job.state === "waiting" || job.state === "sending" ||
          (job.state === "retry" && job.nextAt <= Date.now());
        if (due) chain = chain.then(function () { return send(job); });
      });
      return chain.then(allJobs);
    }).then(function (jobs) {
      pumping = false;
      var next = jobs.filter(function (j) { return j.state === "retry"; })
        .map(function (j) { return j.nextAt; }).sort()[0];
      if (next) wake = setTimeout(pump, Math.max(200, next - Date.now()));
      if (jobs.some(function (j) { return j.state === "waiting"; })) wake = setTimeout(pump, 50);
      jobs.forEach(show);
      watch(jobs);
    }, function () { pumping = false; });
  }

  // After a receipt, follow the photo through processing (read, checked, accepted…).
  function watch(jobs) {
    var open = jobs.filter(function (j) {
      return j.state === "done" && ["received", undefined].indexOf(j.processing) >= 0;
    });
    if (!open.length || polls > 40) return;
    polls += 1;
    setTimeout(function () {
      fetch("/api/v1/tps/" + kode + "/photos", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { photos: [] }; })
        .then(function (body) {
          var states = {};
          body.photos.forEach(function (p) { states[p.id] = p.state; });
          return Promise.all(open.map(function (job) {
            job.processing = states[job.receipt.photo_id] || job.processing;
            return saveJob(job);
          }));
        }).then(allJobs).then(function (all) { all.forEach(show); watch(all); })
        .catch(function () { watch(open); });
    }, 4000);
  }

  // A phone photo larger than MAX_SIDE pixels on its long side (a 12 MP phone's is 4000) is
  // redrawn at MAX_SIDE as a JPEG before it is signed and sent: a page filling the frame keeps
  // about 3 pixels per millimetre, more than the reader needs, in a third of the bytes over a
  // weak connection. A HEIC photo the browser can draw is sent as a JPEG too (the server takes
  // JPEG and PNG); anything the browser cannot redraw is sent as it is.
  var MAX_SIDE = 3000;
  var QUALITY = 0.92;

  function asIs(file) {
    return file.arrayBuffer().then(function (data) { return { data: data, type: file.type }; });
  }

  function prepared(file) {
    var heic = /hei[cf]/i.test(file.type) || /\.hei[cf]$/i.test(file.name || "");
    if (!window.createImageBitmap) return asIs(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var canvas = null;
      try {
        var long = Math.max(bitmap.width, bitmap.height);
        if (long <= MAX_SIDE && !heic) return asIs(file);
        var scale = Math.min(1, MAX_SIDE / long);
        canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        var context = canvas.getContext("2d");
        context.imageSmoothingQuality = "high";
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      } finally {
        bitmap.close();
      }
      var drawn = canvas;
      return new Promise(function (resolve) { drawn.toBlob(resolve, "image/jpeg", QUALITY); })
        .then(function (blob) {
          drawn.width = drawn.height = 0;  // give its memory back (phones cap canvases)
          if (!blob) return asIs(file);
          return blob.arrayBuffer().then(function (data) {
            return { data: data, type: "image/jpeg" };
          });
        });
    }).catch(function () { return asIs(file); });  // any failure to redraw: sent as it is
  }

  function take(input) {
    var file = input.files && input.files[0];
    if (!file) return;
    var page = Number(input.getAttribute("data-page"));
    prepared(file).then(function (photo) {
      var data = photo.data;
      return crypto.subtle.digest("SHA-256", data).then(function (digest) {
        var sha = hex(digest);
        var capturedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "+00:00");
        var text = "rekap-photo:v1:" + sha + ":" + kode + ":" + page + ":" + capturedAt;
        return crypto.subtle.sign({ name: "Ed25519" }, device.privateKey,
          new TextEncoder().encode(text)).then(function (signature) {
          var id = kode + ":" + page + ":" + sha;
          return request(store("jobs").get(id)).then(function (existing) {
            if (existing) { existing.created = Date.now(); return saveJob(existing); }
            return saveJob({
              id: id, kode: kode, page: page, sha256: sha, capturedAt: capturedAt,
              signature: hex(signature), blob: new Blob([data], { type: photo.type }),
              state: "waiting", attempts: 0, created: Date.now()
            });
          });
        });
      });
    }).then(function () { input.value = ""; pump(); }, function (error) {
      // nothing was queued: say so, and let the same photo be chosen again
      input.value = "";
      var status = document.getElementById("status-" + page);
      if (status) {
        status.setAttribute("data-state", "failed");
        status.textContent = msg("failed", { reason: String(error) });
      }
    });
  }

  if (!window.crypto || !crypto.subtle || !window.indexedDB) {
    deviceLine.textContent = "HTTPS + a current browser are needed (WebCrypto Ed25519, IndexedDB).";
    return;
  }
  openDb().then(function (opened) {
    db = opened;
    return allJobs();
  }).then(function (jobs) {
    jobs.forEach(show);
    return ensureKey();
  }).then(function (record) {
    device = record;
    Array.prototype.forEach.call(root.querySelectorAll("input[type=file]"), function (input) {
      input.addEventListener("change", function () { if (device) take(input); });
    });
    root.setAttribute("data-ready", "key");
    return register(record, 0);
  }).then(function (record) {
    device = record;
    deviceLine.textContent = msg("device-ok", { id: record.deviceId });
    root.setAttribute("data-ready", "device");
    window.addEventListener("online", pump);
    pump();
  }).catch(function (error) {
    deviceLine.textContent = String(error);
  });
})();
