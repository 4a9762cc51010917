/*
 * The console's "New alert" view: the form, the map (draw a circle or a shape, or pick named areas), a live SMS
 * length, the preview (POST /v1/alerts/preview, polled when it is handed to the worker) and send (POST /v1/alerts,
 * then POST /v1/alerts/{id}/send). Every target the map draws can be typed instead: the circle's centre and radius
 * are plain fields, and named areas are checkboxes.
 */
(function (global) {
  "use strict";

  var H = global.Hexwatch;
  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENSION = "\f^{}\\[~]|€";
  var PREVIEW_POLL_MS = 1000;

  var ready = false;
  var map = null;
  var polygonRing = null;
  var defs = null;
  var editing = null;  // the id of the alert being changed, or null for a new one
  var areasShown = Promise.resolve();

  function $(id) { return document.getElementById(id); }
  function app() { return global.ConsoleApp; }

  // The server's faithful swaps (domain/sms.py GSM7_SWAPS): curly quotes, dashes, ellipsis and odd spaces.
  function gsmSafe(text) {
    return text.replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'").replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"')
      .replace(/[\u2010-\u2015]/g, "-").replace(/\u2026/g, "...").replace(/[\u00a0\u202f\u2009]/g, " ");
  }

  /** Segments of an SMS, packed as the network packs them (domain/sms.py is the server's exact count). */
  function smsSegments(text) {
    text = gsmSafe(text);
    var gsm = true;
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (GSM7.indexOf(ch) < 0 && GSM7_EXTENSION.indexOf(ch) < 0) { gsm = false; break; }
    }
    var units = 0;
    if (gsm) for (var j = 0; j < text.length; j++) units += GSM7_EXTENSION.indexOf(text.charAt(j)) >= 0 ? 2 : 1;
    else units = text.length;
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: units <= single ? 1 : Math.ceil(units / part) };
  }

  function updateCount() {
    var text = $("alert-title").value + ": " + $("alert-body").value;
    var sms = smsSegments(text);
    $("alert-count").textContent = $("alert-body").value.length + " of 1200 characters. As a text message, the title " +
      "and message come to about " + sms.units + " characters (" + sms.encoding + "), " + sms.segments + " segment" +
      (sms.segments === 1 ? "" : "s") + ", before the reference and contact are added. The preview gives the exact count.";
  }

  function checkboxes(container, name, values, labels, checked) {
    container.textContent = "";
    values.forEach(function (value) {
      var wrap = document.createElement("div");
      wrap.className = "checkbox";
      var input = document.createElement("input");
      input.type = "checkbox"; input.name = name; input.value = value; input.id = name + "-" + value;
      input.checked = (checked || []).indexOf(value) >= 0;
      var label = document.createElement("label");
      label.htmlFor = input.id; label.textContent = (labels && labels[value]) || value;
      wrap.appendChild(input); wrap.appendChild(label);
      container.appendChild(wrap);
    });
  }

  function targetKind() {
    var chosen = document.querySelector('input[name="target_kind"]:checked');
    return chosen ? chosen.value : "circle";
  }

  function showTargetFields() {
    var kind = targetKind();
    $("circle-fields").hidden = kind !== "circle";
    $("polygon-fields").hidden = kind !== "polygon";
    $("area-fields").hidden = kind !== "areas";
    if (map) {
      map.setMode(kind === "circle" || kind === "polygon" ? kind : null);
      if (kind === "polygon" && !polygonRing) map.clearShape();
      if (kind === "circle") circleFromFields(false);
    }
  }

  function circleFromFields(fit) {
    var lat = Number($("circle-lat").value), lng = Number($("circle-lng").value), radius = Number($("circle-radius").value);
    if (map && $("circle-lat").value && $("circle-lng").value && isFinite(lat) && isFinite(lng) && radius >= 50 && radius <= 20000) {
      map.setCircle(lat, lng, radius, fit);
    }
  }

  function ukLocalToIso(text) {
    // "YYYY-MM-DDTHH:MM" read as UK time: find London's offset at that moment with Intl, then say it explicitly.
    if (!text) return undefined;
    var guess = new Date(text + ":00Z");
    if (isNaN(guess.getTime())) return text;
    var parts = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", timeZoneName: "shortOffset" })
      .formatToParts(guess).filter(function (p) { return p.type === "timeZoneName"; });
    var match = parts.length ? parts[0].value.match(/GMT(?:([+-])(\d{1,2}))?/) : null;
    var hours = match && match[1] ? Number(match[2]) * (match[1] === "-" ? -1 : 1) : 0;
    return text + ":00" + (hours >= 0 ? "+" : "-") + ("0" + Math.abs(hours)).slice(-2) + ":00";
  }

  function isoToUkLocal(iso) {
    // The inverse, for a datetime-local field: the UK wall-clock time of an instant, "YYYY-MM-DDTHH:MM".
    if (!iso) return "";
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso))
      .forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + "T" + parts.hour + ":" + parts.minute;
  }

  /** The form as the alert schema wants it; what cannot be read is passed through so the schema names it. */
  function document_() {
    var form = $("compose-form");
    var body = {
      title: $("alert-title").value.trim(),
      body: $("alert-body").value.replace(/\r\n?/g, "\n").trim(),
      category: $("alert-category").value,
      priority: $("alert-priority").value,
      incident_ref: $("alert-ref").value.trim(),
      contact: {},
      channels: H.checkedValues(form, "channels"),
      groups: H.checkedValues(form, "groups"),
      business_sectors: H.checkedValues(form, "business_sectors")
    };
    if ($("alert-phone").value.trim()) body.contact.phone = $("alert-phone").value.trim();
    if ($("alert-contact-email").value.trim()) body.contact.email = $("alert-contact-email").value.trim();
    if ($("alert-public").checked) body.public = true;
    var ownLanguage = $("own-language").value, ownTitle = $("own-title").value.trim(), ownBody = $("own-body").value.trim();
    if (ownLanguage && (ownTitle || ownBody)) {
      body.translations = {};
      body.translations[ownLanguage] = { title: ownTitle, body: ownBody.replace(/\r\n?/g, "\n") };
    }
    if ($("alert-send-at").value) body.send_at = ukLocalToIso($("alert-send-at").value);
    if ($("footage-from").value || $("footage-to").value) {
      body.footage_request = { from: ukLocalToIso($("footage-from").value), to: ukLocalToIso($("footage-to").value) };
    }
    var kind = targetKind();
    if (kind === "circle") {
      body.target = { type: "circle", center: { lat: H.numberOrText($("circle-lat").value), lng: H.numberOrText($("circle-lng").value) },
        radius_m: H.numberOrText($("circle-radius").value) };
    } else if (kind === "polygon") {
      body.target = { type: "polygon", geometry: { type: "Polygon", coordinates: polygonRing ? [polygonRing] : [] } };
    } else if (kind === "areas") {
      body.target = { type: "areas", area_ids: H.checkedValues(form, "area_ids") };
    } else {
      body.target = { type: "organisation" };
    }
    return body;
  }

  function row(list, term, value) {
    var dt = document.createElement("dt"); dt.textContent = term;
    var dd = document.createElement("dd"); dd.textContent = value;
    list.appendChild(dt); list.appendChild(dd);
  }

  function describe(counts) {
    var keys = Object.keys(counts || {});
    return keys.length ? keys.map(function (key) { return key + ": " + counts[key]; }).join(", ") : "none";
  }

  function showPreview(data) {
    var list = $("preview-summary");
    list.textContent = "";
    row(list, "Residents", String(data.residents));
    row(list, "By channel", describe(data.by_channel));
    row(list, "By language", describe(data.by_language));
    if (data.sms) row(list, "Text message", data.sms.segments + " segment" + (data.sms.segments === 1 ? "" : "s") + " (" + data.sms.encoding + ")");
    if (data.estimate) row(list, "Estimated cost", "£" + data.estimate.total_cost_gbp);
    row(list, "Approval", data.needs_supervisor ? "A supervisor must approve it before it goes out" : "You can send it yourself");
    if (data.note) row(list, "Note", data.note);
    var translations = data.translations || {};
    Object.keys(translations).forEach(function (language) {
      var words = translations[language];
      var how = words.untranslated ? "Not translated: sent as written, with a note in this language"
        : words.machine_translated ? "Machine translated" : "Your own translation";
      row(list, "In " + languageName(language), how + ". " + words.title + ": " + words.body);
    });
    $("preview").hidden = false;
    $("preview").setAttribute("data-state", "done");
    $("preview-title").focus();
  }

  function languageName(tag) {
    var names = (defs && defs.language && defs.language["x-suggested"]) || {};
    return names[tag] ? names[tag] + " (" + tag + ")" : tag;
  }

  function preview() {
    var form = $("compose-form");
    H.clearErrors(form, app().summary());
    $("preview").hidden = true;
    app().call("POST", "/v1/alerts/preview", document_()).then(function (result) {
      if (result.status === 202) { poll(result.data.poll); return; }
      if (!result.ok) { app().failed(form, result); return; }
      showPreview(result.data);
    });
  }

  function poll(path) {
    app().say("", "Counting who it reaches...");
    global.setTimeout(function () {
      app().call("GET", path).then(function (result) {
        if (!result.ok) { app().failed($("compose-form"), result); return; }
        if (result.data.status && result.data.status !== "done") { poll(path); return; }
        app().say("", "Counted.");
        showPreview(result.data);
      });
    }, PREVIEW_POLL_MS);
  }

  /** After an alert is made, the form starts empty again (the next alert is another incident). */
  function clearForm() {
    ["alert-title", "alert-body", "alert-ref", "alert-contact-email", "alert-send-at", "footage-from", "footage-to",
      "circle-lat", "circle-lng", "own-language", "own-title", "own-body"].forEach(function (id) { $(id).value = ""; });
    $("circle-radius").value = "1000";
    polygonRing = null;
    $("polygon-count").textContent = "";
    if (map) map.clearShape();
    $("preview").hidden = true;
    updateCount();
  }

  function setChecked(name, values) {
    Array.prototype.forEach.call($("compose-form").querySelectorAll('input[name="' + name + '"]'), function (input) {
      input.checked = (values || []).indexOf(input.value) >= 0;
    });
  }

  /** An alert being changed: its values in the form, its target on the map. */
  function fill(alert) {
    $("alert-title").value = alert.title;
    $("alert-body").value = alert.body;
    $("alert-category").value = alert.category;
    $("alert-priority").value = alert.priority;
    $("alert-ref").value = alert.incident_ref;
    $("alert-phone").value = (alert.contact && alert.contact.phone) || "";
    $("alert-contact-email").value = (alert.contact && alert.contact.email) || "";
    setChecked("channels", alert.channels);
    setChecked("groups", alert.groups);
    setChecked("business_sectors", alert.business_sectors);
    $("alert-public").checked = alert.public === true;
    $("alert-send-at").value = isoToUkLocal(alert.send_at);
    var own = Object.keys(alert.content || {}).slice(1).filter(function (tag) {
      return !alert.content[tag].machine_translated;
    })[0];
    $("own-language").value = own || "";
    $("own-title").value = own ? alert.content[own].title : "";
    $("own-body").value = own ? alert.content[own].body : "";
    $("footage-from").value = alert.footage_request ? isoToUkLocal(alert.footage_request.from) : "";
    $("footage-to").value = alert.footage_request ? isoToUkLocal(alert.footage_request.to) : "";
    var target = alert.target;
    $("target-" + target.type).checked = true;
    showTargetFields();
    if (target.type === "circle") {
      $("circle-lat").value = target.center.lat; $("circle-lng").value = target.center.lng;
      $("circle-radius").value = target.radius_m;
      circleFromFields(true);
    } else if (target.type === "polygon") {
      polygonRing = target.geometry.coordinates[0];
      $("polygon-count").textContent = (polygonRing.length - 1) + " corners.";
      if (map) map.setPolygon(polygonRing, true);
    } else if (target.type === "areas") {
      setChecked("area_ids", target.area_ids);
    }
    updateCount();
  }

  function resetChoices() {
    setChecked("channels", ["email"]); setChecked("groups", []); setChecked("business_sectors", []);
    setChecked("area_ids", []);
    $("alert-public").checked = false;
    $("alert-phone").value = "101";
    $("target-circle").checked = true;
    showTargetFields();
  }

  function editMode(alertId) {
    editing = alertId;
    $("compose-title").textContent = alertId ? "Change alert" : "New alert";
    $("send-button").textContent = alertId ? "Save changes" : "Send alert";
    $("save-button").hidden = Boolean(alertId);
  }

  /** A merge patch of every field the form holds: an emptied optional field is removed (null). */
  function patchDocument() {
    var body = document_();
    if (!body.send_at) body.send_at = null;
    if (!body.footage_request) body.footage_request = null;
    if (!body.public) body.public = false;
    if (!body.contact.email) delete body.contact.email;
    if (!body.translations) body.translations = null;
    return body;
  }

  function saveChanges() {
    var form = $("compose-form");
    H.clearErrors(form, app().summary());
    var alertId = editing;
    app().call("PATCH", "/v1/alerts/" + alertId, patchDocument()).then(function (changed) {
      if (!changed.ok) { app().failed(form, changed); return; }
      app().flash("success", changed.data.status === "pending_approval"
        ? "Changes saved. It waits for approval again before it goes out."
        : changed.data.status === "scheduled" ? "Changes saved. It goes out at " + (changed.data.send_at_local || "its time") + "."
        : changed.data.status === "sending" ? "Changes saved and sent for delivery."
        : "Changes saved.");
      editMode(null);
      clearForm();
      resetChoices();
      global.location.hash = "#/alerts/" + alertId;
    });
  }

  function create(andSend) {
    if (editing) { saveChanges(); return; }
    var form = $("compose-form");
    H.clearErrors(form, app().summary());
    app().call("POST", "/v1/alerts", document_()).then(function (created) {
      if (!created.ok) { app().failed(form, created); return; }
      clearForm();
      if (!andSend) { global.location.hash = "#/alerts/" + created.data.id; return; }
      app().call("POST", "/v1/alerts/" + created.data.id + "/send", {}).then(function (sent) {
        if (!sent.ok) {
          // Saved, not sent: the draft's own page says why, and offers Send again.
          app().flash("warning", "Saved as a draft, but not sent: " + ((sent.data && sent.data.message) || sent.status));
          global.location.hash = "#/alerts/" + created.data.id;
          return;
        }
        app().flash("success", sent.data.status === "pending_approval"
          ? "Saved and waiting for approval: an approver must approve it before it goes out."
          : sent.data.status === "scheduled" ? "Scheduled: it goes out at the time you chose."
          : "Sent for delivery.");
        global.location.hash = "#/alerts/" + created.data.id;
      });
    });
  }

  function setUp(state) {
    var labels = function (name) { return (defs[name] && defs[name]["x-labels"]) || {}; };
    var suggested = (defs.language && defs.language["x-suggested"]) || {};
    Object.keys(suggested).filter(function (tag) { return tag !== "en"; }).forEach(function (tag) {
      var option = document.createElement("option");
      option.value = tag; option.textContent = suggested[tag];
      $("own-language").appendChild(option);
    });
    var category = $("alert-category");
    defs.category.enum.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value; option.textContent = labels("category")[value] || value;
      category.appendChild(option);
    });
    checkboxes($("alert-channels"), "channels", defs.channel.enum, labels("channel"), ["email"]);
    checkboxes($("alert-groups"), "groups", defs.group.enum, labels("group"), []);
    checkboxes($("alert-sectors"), "business_sectors", defs.business_sector.enum, labels("business_sector"), []);
    if (global.HexMap && global.L) {
      map = global.HexMap.create($("compose-map"), {
        label: "Map: press and drag to draw a circle, or click the corners of a shape",
        defaultRadius: 1000,
        onCircle: function (lat, lng, radius) {
          $("circle-lat").value = lat; $("circle-lng").value = lng; $("circle-radius").value = radius;
        },
        onPolygon: function (ring) {
          polygonRing = ring;
          $("polygon-count").textContent = ring ? (ring.length - 1) + " corners." : "";
        }
      });
    } else {
      $("compose-map").hidden = true;
    }
    areasShown = app().areas().then(function (areas) {
      var choices = areas.filter(function (area) { return area.id !== "boundary" && area.permitted; });
      checkboxes($("area-choices"), "area_ids", choices.map(function (a) { return a.id; }),
        choices.reduce(function (all, a) { all[a.id] = a.name; return all; }, {}), []);
      $("target-organisation").disabled = !(state.me && state.me.whole_organisation);
      if (map) {
        map.showAreas(areas, false);
        var boundary = areas.filter(function (a) { return a.id === "boundary"; })[0];
        if (boundary) { map.showBoundary(boundary.geometry); map.fitTo(boundary.geometry); }
        $("compose-map").setAttribute("data-areas", "shown");
      }
    });
    ["alert-title", "alert-body"].forEach(function (id) { $(id).addEventListener("input", updateCount); });
    ["circle-lat", "circle-lng", "circle-radius"].forEach(function (id) {
      $(id).addEventListener("change", function () { circleFromFields(true); });
    });
    Array.prototype.forEach.call(document.querySelectorAll('input[name="target_kind"]'), function (input) {
      input.addEventListener("change", showTargetFields);
    });
    $("polygon-clear").addEventListener("click", function () {
      polygonRing = null; $("polygon-count").textContent = "";
      if (map) { map.clearShape(); map.setMode("polygon"); }
    });
    $("preview-button").addEventListener("click", preview);
    $("save-button").addEventListener("click", function () { create(false); });
    $("compose-form").addEventListener("submit", function (event) { event.preventDefault(); create(true); });
    showTargetFields();
    updateCount();
  }

  function startEditing(alertId) {
    editMode(alertId);
    if (!alertId) return;
    areasShown.then(function () {
      return app().call("GET", "/v1/alerts/" + alertId);
    }).then(function (result) {
      if (editing !== alertId) return;
      if (!result.ok) { app().failed($("compose-form"), result); return; }
      fill(result.data);
      $("alert-title").focus();
    });
  }

  /** The compose view: a new alert, or (with an id) the alert to change. */
  function open(state, alertId) {
    $("preview").hidden = true;
    if (editing && editing !== alertId) { editMode(null); clearForm(); resetChoices(); }
    if (ready) { if (map) map.map.invalidateSize(); startEditing(alertId); return; }
    ready = true;
    H.loadValidator(["alert.json"]).then(function (loaded) {
      defs = loaded.defs;
      setUp(state);
      startEditing(alertId);
    });
  }

  global.ConsoleCompose = { open: open, smsSegments: smsSegments, ukLocalToIso: ukLocalToIso, isoToUkLocal: isoToUkLocal };
})(window);
