// "Controleer": check, in the resident's own browser, that an entry of their access log is in
// the signed audit log. Uses only public endpoints and WebCrypto:
//   1. the checkpoint (a C2SP signed note) and the Ed25519 public key that signs it;
//   2. the signature over the checkpoint text (Ed25519 via crypto.subtle);
//   3. the entry's inclusion proof at the checkpoint's size, folded into a root with SHA-256
//      (RFC 9162 section 2.1.3.2), which must equal the signed root.
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

  function verifyNote(note, key) {
    var cut = note.indexOf("\n\n");
    if (cut < 0) throw new Error("note");
    var text = note.slice(0, cut + 1);               // the signed text ends with one newline
    var sigLine = note.slice(cut + 2).split("\n")[0];
    var parts = sigLine.replace(/^\u2014 /, "").split(" ");
    if (parts.length !== 2 || parts[0] !== key.key_name) throw new Error("signer");
    var sig = b64(parts[1]), pub = b64(key.public_key);
    var enc = new TextEncoder();
    return sha256(concat(enc.encode(parts[0] + "\n"), new Uint8Array([1]), pub))
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

  function show(out, kind, message) {
    out.className = "proof-result proof-" + kind;
    out.textContent = message;
  }

  function check(seq, out, button) {
    button.disabled = true;
    show(out, "wait", "Bezig met controleren…");
    var checkpoint;
    Promise.all([getJSON("/v1/audit/public-key"), getJSON("/v1/audit/checkpoint")])
      .then(function (r) { return verifyNote(r[1].note, r[0]); })
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
        show(out, "ok", "Gecontroleerd: deze regel staat in het ondertekende logboek (" +
          (checkpoint.size === 1 ? "1 regel" : checkpoint.size + " regels") +
          "), en de handtekening klopt.");
        button.disabled = false;
      })
      .catch(function (err) {
        button.disabled = false;
        if (err && err.status === 404) {
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
