// "Controleer": check, in the resident's own browser, that an entry of their access log is in
// the signed audit log. Uses only public endpoints and WebCrypto:
//   1. the checkpoint (a C2SP signed note) and the log's Ed25519 public keys (the one that
//      signs now and, after a key rotation, the earlier ones, each by its key id);
//   2. the signature over the checkpoint text (Ed25519 via crypto.subtle);
//   3. the entry's inclusion proof at the checkpoint's size, folded into a root with SHA-256
//      (RFC 9162 section 2.1.3.2), which must equal the signed root;
//   4. the log's history: the browser remembers the last checkpoint it verified (localStorage:
//      only a size and a root hash, nothing personal) and checks that the new one extends it
//      with a consistency proof (RFC 9162 section 2.1.4.2). A smaller log means entries were
//      taken away (an old backup put back); a proof that fails means another history.
// No inline script (the page's Content-Security-Policy forbids it); without JavaScript the
// button stays hidden and the page works as before.
(function () {
  "use strict";
  var subtle = window.crypto && window.crypto.subtle;

  function b64(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function concat() {
    var n = 0, i, parts = arguments;
    for (i = 0; i < parts.length; i++) n += parts[i].length;
    var out = new Uint8Array(n), at = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; }
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    var d = 0;
    for (var i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  function sha256(bytes) {
    return subtle.digest("SHA-256", bytes).then(function (h) { return new Uint8Array(h); });
  }
  function node(left, right) { return sha256(concat(new Uint8Array([1]), left, right)); }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { var e = new Error("http " + r.status); e.status = r.status; throw e; }
        return r.json();
      });
  }

  // RFC 9162 2.1.3.2: the root that the audit path gives for this leaf.
  function rootFromPath(leafIndex, treeSize, leafHash, path) {
    var fn = leafIndex, sn = treeSize - 1, r = Promise.resolve(leafHash), i = 0;
    function step(h) {
      if (i >= path.length) return sn === 0 ? h : null;
      var p = path[i++];
      if (sn === 0) return null;
      var next;
      if ((fn & 1) === 1 || fn === sn) {
        next = node(p, h).then(function (x) {
          if ((fn & 1) === 0) { while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; } }
          fn >>= 1; sn >>= 1; return x;
        });
      } else {
        next = node(h, p).then(function (x) { fn >>= 1; sn >>= 1; return x; });
      }
      return next.then(step);
    }
    return r.then(step);
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }
  function toB64(bytes) { return btoa(String.fromCharCode.apply(null, bytes)); }

  // The first signature line by one of the log's keys (matched by name and key id).
  function verifyNote(note, keys) {
    var cut = note.indexOf("\n\n");
    if (cut < 0) throw new Error("note");
    var text = note.slice(0, cut + 1);               // the signed text ends with one newline
    var sig = null, key = null;
    note.slice(cut + 2).split("\n").forEach(function (line) {
      var parts = line.replace(/^\u2014 /, "").split(" ");
      if (key || parts.length !== 2) return;
      var s = b64(parts[1]);
      keys.forEach(function (k) {
        if (!key && k.key_name === parts[0] && k.key_id === hex(s.slice(0, 4))) { key = k; sig = s; }
      });
    });
    if (!key) throw new Error("signer");
    var pub = b64(key.public_key);
    var enc = new TextEncoder();
    return sha256(concat(enc.encode(key.key_name + "\n"), new Uint8Array([1]), pub))
      .then(function (kid) {
        if (!equal(kid.slice(0, 4), sig.slice(0, 4))) throw new Error("key id");
        return subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
      })
      .then(function (k) {
        return subtle.verify({ name: "Ed25519" }, k, sig.slice(4), enc.encode(text));
      })
      .then(function (ok) {
        if (!ok) throw new Error("signature");
        var lines = text.split("\n");
        return { origin: lines[0], size: parseInt(lines[1], 10), root: b64(lines[2]) };
      });
  }

  // RFC 9162 2.1.4.2: does the tree of `second` entries extend the tree of `first`?
  function consistent(first, second, firstRoot, secondRoot, path) {
    if (!(first > 0 && first <= second)) return Promise.resolve(false);
    if (first === second) return Promise.resolve(path.length === 0 && equal(firstRoot, secondRoot));
    if (path.length === 0) return Promise.resolve(false);
    var items = path.slice();
    if ((first & (first - 1)) === 0) items.unshift(firstRoot);
    var fn = first - 1, sn = second - 1, i = 1;
    while (fn & 1) { fn >>= 1; sn >>= 1; }
    var fr = items[0], sr = items[0];
    function step() {
      if (i >= items.length) {
        return Promise.resolve(sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot));
      }
      var c = items[i++];
      if (sn === 0) return Promise.resolve(false);
      if ((fn & 1) === 1 || fn === sn) {
        return Promise.all([node(c, fr), node(c, sr)]).then(function (r) {
          fr = r[0]; sr = r[1];
          while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
          fn >>= 1; sn >>= 1;
          return step();
        });
      }
      return node(sr, c).then(function (x) { sr = x; fn >>= 1; sn >>= 1; return step(); });
    }
    return step();
  }

  var SEEN = "doelbinding.checkpoint:";
  function loadSeen(origin) {
    try {
      var s = JSON.parse(window.localStorage.getItem(SEEN + origin) || "null");
      return s && s.size > 0 && typeof s.root === "string" ? { size: s.size, root: b64(s.root) } : null;
    } catch (e) { return null; }
  }
  function saveSeen(cp) {
    try {
      window.localStorage.setItem(SEEN + cp.origin, JSON.stringify({ size: cp.size, root: toB64(cp.root) }));
    } catch (e) { /* private mode: nothing remembered */ }
  }
  function historyError(kind, seen) { var e = new Error(kind); e.history = kind; e.seen = seen; return e; }

  // Compare with the checkpoint this browser verified before: "first", "same" or "grew", or
  // an error with .history "rollback" or "fork" (and then nothing is remembered).
  function checkHistory(cp) {
    var seen = loadSeen(cp.origin);
    if (!seen) return Promise.resolve({ kind: "first" });
    if (cp.size < seen.size) return Promise.reject(historyError("rollback", seen));
    if (cp.size === seen.size) {
      if (!equal(cp.root, seen.root)) return Promise.reject(historyError("fork", seen));
      return Promise.resolve({ kind: "same", seen: seen });
    }
    return getJSON("/v1/audit/proofs/consistency?first=" + seen.size + "&second=" + cp.size)
      .then(function (p) { return consistent(seen.size, cp.size, seen.root, cp.root, p.path.map(b64)); })
      .then(function (ok) {
        if (!ok) throw historyError("fork", seen);
        return { kind: "grew", seen: seen };
      });
  }

  function regels(n) { return n === 1 ? "1 regel" : n + " regels"; }

  function show(out, kind, message) {
    out.className = "proof-result proof-" + kind;
    out.textContent = message;
  }

  function check(seq, out, button) {
    button.disabled = true;
    show(out, "wait", "Bezig met controleren…");
    var checkpoint;
    Promise.all([getJSON("/v1/audit/keys"), getJSON("/v1/audit/checkpoint")])
      .then(function (r) { return verifyNote(r[1].note, r[0].keys); })
      .then(function (cp) {
        checkpoint = cp;
        if (seq > cp.size) { var e = new Error("not yet"); e.status = 404; throw e; }
        return getJSON("/v1/audit/proofs/inclusion?seq=" + seq + "&tree_size=" + cp.size);
      })
      .then(function (p) {
        if (p.tree_size !== checkpoint.size || p.leaf_index !== seq - 1) throw new Error("proof");
        return rootFromPath(p.leaf_index, p.tree_size, b64(p.leaf_hash), p.path.map(b64));
      })
      .then(function (root) {
        if (!root || !equal(root, checkpoint.root)) throw new Error("root");
        return checkHistory(checkpoint);
      })
      .then(function (h) {
        var said = "Gecontroleerd: deze regel staat in het ondertekende logboek (" +
          regels(checkpoint.size) + "). Niemand heeft hem veranderd.";
        if (h.kind === "first") {
          said += " Deze browser onthoudt deze controle. Zo ziet u de volgende keer of er " +
            "regels uit het logboek zijn gehaald.";
        } else if (h.kind === "same") {
          said += " Het logboek is hetzelfde als bij uw vorige controle.";
        } else {
          said += " Sinds uw vorige controle (" + regels(h.seen.size) + ") zijn er alleen " +
            "regels bijgekomen. Er is niets weggehaald of veranderd.";
        }
        saveSeen(checkpoint);
        show(out, "ok", said);
        button.disabled = false;
      })
      .catch(function (err) {
        button.disabled = false;
        if (err && err.history === "rollback") {
          show(out, "bad", "Pas op: het logboek is kleiner dan bij uw vorige controle. Toen had " +
            "het " + regels(err.seen.size) + ", nu " + regels(checkpoint.size) + ". Er zijn " +
            "regels uit het logboek gehaald. Neem contact op met de privacy officer.");
        } else if (err && err.history === "fork") {
          show(out, "bad", "Pas op: het logboek past niet bij uw vorige controle (toen " +
            regels(err.seen.size) + "). Er zijn regels weggehaald of veranderd. Neem contact op " +
            "met de privacy officer.");
        } else if (err && err.status === 404) {
          show(out, "wait", "Deze regel is nog niet ondertekend. Probeer het over een minuut opnieuw.");
        } else if (err && err.name === "NotSupportedError") {
          show(out, "bad", "Uw browser kan de handtekening niet controleren. Probeer een nieuwere browser.");
        } else {
          show(out, "bad", "Niet gelukt: de controle klopt niet. Neem contact op met de privacy officer.");
        }
      });
  }

  if (!subtle || !window.fetch || !window.TextEncoder) return;   // the button stays hidden
  var boxes = document.querySelectorAll(".proof[data-seq]");
  Array.prototype.forEach.call(boxes, function (box) {
    var seq = parseInt(box.getAttribute("data-seq"), 10);
    var button = box.querySelector(".proof-button");
    var out = box.querySelector(".proof-result");
    if (!button || !out || !(seq > 0)) return;
    button.hidden = false;
    button.addEventListener("click", function () { check(seq, out, button); });
  });
})();
