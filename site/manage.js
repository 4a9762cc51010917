/*
 * The signed-in resident's page: read GET /v1/me, change choices with PATCH /v1/me (checked first against
 * schemas/preferences-update.json), download the export, delete the account, sign out (DELETE /v1/session ends the
 * session on the server too). The lists come from defs.json, the same lists the API validates against.
 */
(function () {
  "use strict";
  var H = window.Hexwatch;
  var MAX_PLACES = 5;

  var MESSAGES = {
    "/name": "Your name must be 80 characters or fewer",
    "/language": "Choose a language from the list",
    "/channels": "Select how you want to get alerts",
    "/categories": "Select what you want to hear about",
    "/locations": "Keep between 1 and 5 places",
    "/locations/*": "Give a postcode, or a latitude and longitude, but not both",
    "/locations/*/label": "Give this place a name of up to 40 characters, like Home",
    "/locations/*/postcode": "Enter a postcode, or a latitude and longitude",
    "/locations/*/lat": "Latitude must be a number between 49 and 61.5 (in the UK)",
    "/locations/*/lng": "Longitude must be a number between -8.9 and 2.1 (in the UK)"
  };

  function describe(errors) {
    return errors.map(function (e) {
      var key = e.pointer.replace(/^\/locations\/\d+/, "/locations/*");
      return { pointer: e.pointer, message: MESSAGES[key] || e.message };
    });
  }

  H.ready(function () {
    var status = document.getElementById("manage-status");
    var account = document.getElementById("account");
    var signedOut = document.getElementById("signed-out");
    var form = document.getElementById("preferences-form");
    var summary = document.getElementById("error-summary");
    var locationList = document.getElementById("location-list");
    var loading = H.loadValidator(["preferences-update.json"]);
    var view = null;
    var locationsChanged = false;
    var placeCounter = 0;

    function showSignedOut(message) {
      account.hidden = true;
      signedOut.hidden = false;
      if (message) H.showPanel(status, "warning", message); else status.hidden = true;
    }

    if (!H.session.get()) {
      showSignedOut();
      return;
    }

    function checkbox(container, name, value, label) {
      var id = name + "-" + value;
      var wrap = document.createElement("div");
      wrap.className = "checkbox";
      var input = document.createElement("input");
      input.type = "checkbox";
      input.id = id;
      input.name = name;
      input.value = value;
      var text = document.createElement("label");
      text.htmlFor = id;
      text.textContent = label;
      wrap.appendChild(input);
      wrap.appendChild(text);
      container.appendChild(wrap);
    }

    function renderChoices(defs) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-list]"), function (container) {
        var def = defs[container.getAttribute("data-list")];
        container.innerHTML = "";
        def.enum.forEach(function (value) {
          checkbox(container, container.getAttribute("data-name"), value, (def["x-labels"] || {})[value] || value);
        });
      });
      var select = document.getElementById("language");
      var suggested = defs.language["x-suggested"] || {};
      Object.keys(suggested).forEach(function (code) {
        var option = document.createElement("option");
        option.value = code;
        option.lang = code;
        option.textContent = suggested[code];
        select.appendChild(option);
      });
      document.getElementById("categories-business").addEventListener("change", toggleSectors);
    }

    function toggleSectors() {
      document.getElementById("business-sectors").hidden = !document.getElementById("categories-business").checked;
    }

    function input(place, name, labelText, value, hint, extra) {
      var group = document.createElement("div");
      group.className = "form-group";
      group.setAttribute("data-field", name);
      var id = "place" + place.getAttribute("data-place") + "-" + name;
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = labelText;
      group.appendChild(label);
      var field = document.createElement("input");
      field.type = "text";
      field.id = id;
      field.className = "short";
      field.value = value === undefined || value === null ? "" : String(value);
      field.setAttribute("spellcheck", "false");
      if (extra) Object.keys(extra).forEach(function (k) { field.setAttribute(k, extra[k]); });
      if (hint) {
        var p = document.createElement("p");
        p.className = "hint";
        p.id = id + "-hint";
        p.textContent = hint;
        group.appendChild(p);
        field.setAttribute("aria-describedby", p.id);
      }
      group.appendChild(field);
      return group;
    }

    function addPlace(location) {
      var place = document.createElement("fieldset");
      place.className = "location";
      place.setAttribute("data-place", String(++placeCounter));
      var legend = document.createElement("legend");
      place.appendChild(legend);
      place.appendChild(input(place, "label", "Name for this place", location && location.label, null, { maxlength: "40" }));
      var precise = location && location.precision && location.precision !== "district";
      place.appendChild(input(place, "postcode", "Postcode", "",
        location ? (precise ? "Leave empty to keep the point below." : "This place was set from a postcode area, so it is approximate. Give a latitude and longitude to be more exact.") : "Or give a latitude and longitude below."));
      var row = document.createElement("div");
      row.className = "inline-fields";
      row.appendChild(input(place, "lat", "Latitude", location && location.lat, null, { inputmode: "decimal" }));
      row.appendChild(input(place, "lng", "Longitude", location && location.lng, null, { inputmode: "decimal" }));
      place.appendChild(row);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Remove this place";
      remove.addEventListener("click", function () {
        place.parentNode.removeChild(place);
        locationsChanged = true;
        numberPlaces();
        document.getElementById("add-location").focus();
      });
      place.appendChild(remove);
      place.addEventListener("input", function () { locationsChanged = true; });
      locationList.appendChild(place);
      numberPlaces();
      if (window.PlaceMap) window.PlaceMap.attach(place);
      return place;
    }

    // Pointers follow the order on the page, so renumber after every add or remove.
    function numberPlaces() {
      var places = locationList.querySelectorAll("fieldset.location");
      Array.prototype.forEach.call(places, function (place, i) {
        place.querySelector("legend").textContent = "Place " + (i + 1);
        place.setAttribute("data-pointer", "/locations/" + i);
        Array.prototype.forEach.call(place.querySelectorAll("[data-field]"), function (group) {
          group.setAttribute("data-pointer", "/locations/" + i + "/" + group.getAttribute("data-field"));
        });
        var remove = place.querySelector("button");
        remove.textContent = "Remove place " + (i + 1);
        remove.hidden = places.length < 2;
      });
      document.getElementById("add-location").hidden = places.length >= MAX_PLACES;
    }

    function render(me) {
      view = me;
      var contacts = document.getElementById("contacts");
      contacts.innerHTML = "";
      (me.contacts || []).forEach(function (contact) {
        var row = document.createElement("div");
        var dt = document.createElement("dt");
        dt.textContent = { email: "Email", phone: "Mobile", mobile: "Mobile", sms: "Mobile", landline: "Landline" }[contact.kind] || contact.kind;
        var dd = document.createElement("dd");
        dd.textContent = contact.address + (contact.verified ? " (confirmed)" : " (not confirmed yet)");
        row.appendChild(dt);
        row.appendChild(dd);
        contacts.appendChild(row);
      });
      var statusRow = document.createElement("div");
      statusRow.innerHTML = "<dt>Alerts</dt><dd></dd>";
      statusRow.querySelector("dd").textContent = me.status === "active" ? "On"
        : me.status === "opted_out" ? "Off: you unsubscribed from everything" : me.status;
      contacts.appendChild(statusRow);

      form.elements.name.value = me.name || "";
      var select = document.getElementById("language");
      if (me.language && !select.querySelector('option[value="' + me.language + '"]')) {
        var option = document.createElement("option");
        option.value = me.language;
        option.textContent = me.language;
        select.appendChild(option);
      }
      select.value = me.language || "en";
      ["channels", "categories", "business_sectors", "groups", "senders"].forEach(function (name) {
        var chosen = me[name] || [];
        Array.prototype.forEach.call(form.querySelectorAll('input[name="' + name + '"]'), function (box) {
          box.checked = chosen.indexOf(box.value) >= 0;
        });
      });
      var reachable = me.reachable_channels;
      if (reachable) {
        Array.prototype.forEach.call(form.querySelectorAll('input[name="channels"]'), function (box) {
          var label = box.nextElementSibling;
          var base = label.getAttribute("data-label") || label.textContent;
          label.setAttribute("data-label", base);
          label.textContent = reachable.indexOf(box.value) >= 0 ? base : base + " (needs contact details we do not have)";
        });
      }
      locationList.innerHTML = "";
      (me.locations || []).forEach(addPlace);
      if (!(me.locations || []).length) addPlace(null);
      locationsChanged = false;
      toggleSectors();
    }

    function buildUpdate() {
      var doc = {};
      var name = form.elements.name.value.trim();
      if (name) doc.name = name;
      doc.language = document.getElementById("language").value;
      doc.channels = H.checkedValues(form, "channels");
      doc.categories = H.checkedValues(form, "categories");
      doc.business_sectors = document.getElementById("business-sectors").hidden ? []
        : H.checkedValues(form, "business_sectors");
      doc.groups = H.checkedValues(form, "groups");
      doc.senders = H.checkedValues(form, "senders");
      // Lists replace what is stored: send the places only when they changed, so that an approximate (postcode)
      // place is not turned into an exact point by sending back its centre.
      if (locationsChanged) {
        doc.locations = Array.prototype.map.call(locationList.querySelectorAll("fieldset.location"), function (place) {
          var get = function (field) { return place.querySelector('[data-field="' + field + '"] input').value.trim(); };
          var location = {};
          if (get("label")) location.label = get("label");
          var lat = H.numberOrText(get("lat")), lng = H.numberOrText(get("lng"));
          if (get("postcode")) {
            location.postcode = get("postcode");
          } else {
            if (lat !== undefined) location.lat = lat;
            if (lng !== undefined) location.lng = lng;
          }
          return location;
        });
      }
      return doc;
    }

    function handleAuthFailure(result) {
      if (result.status === 401 || result.status === 403) {
        H.session.clear();
        showSignedOut("Your session has ended. Sign in again to see your alerts.");
        return true;
      }
      return false;
    }

    function load() {
      return Promise.all([loading, H.api("GET", "/v1/me", undefined, { auth: true })]).then(function (both) {
        var result = both[1];
        if (handleAuthFailure(result)) return;
        if (!result.ok) { H.showPanel(status, "warning", (result.data && result.data.message) || "We could not load your account."); return; }
        if (!form.querySelector('input[name="channels"]')) renderChoices(both[0].defs);
        render(result.data);
        signedOut.hidden = true;
        account.hidden = false;
        if (H.params().get("welcome")) {
          H.showPanel(status, "success", "Thank you, your details are confirmed and you are signed in. You can change your choices below.");
        }
      }, function () {
        H.showPanel(status, "warning", "We could not load your account. Check your connection and reload the page.");
      });
    }

    document.getElementById("add-location").addEventListener("click", function () {
      var place = addPlace(null);
      locationsChanged = true;
      place.querySelector("input").focus();
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var doc = buildUpdate();
      loading.then(function (schemas) {
        var errors = schemas.validator.validate("preferences-update.json", doc);
        if (errors.length) { H.showErrors(form, summary, describe(errors)); return; }
        var save = document.getElementById("save");
        save.disabled = true;
        H.api("PATCH", "/v1/me", doc, { auth: true }).then(function (result) {
          save.disabled = false;
          if (handleAuthFailure(result)) return;
          if (!result.ok) { H.showErrors(form, summary, describe(H.apiErrors(result))); return; }
          H.clearErrors(form, summary);
          render(result.data);
          H.showPanel(status, "success", "Your changes have been saved.");
          status.focus();
        }, function () {
          save.disabled = false;
          H.showErrors(form, summary, [{ pointer: "", message: "We could not save your changes. Check your connection and try again." }]);
        });
      });
    });

    document.getElementById("export").addEventListener("click", function () {
      H.api("GET", "/v1/me/export", undefined, { auth: true }).then(function (result) {
        if (handleAuthFailure(result)) return;
        if (!result.ok) { H.showPanel(status, "warning", "We could not prepare your data. Try again later."); return; }
        var blob = new Blob([JSON.stringify(result.data, null, 2)], { type: "application/json" });
        var link = document.getElementById("export-link");
        if (link.href && link.href.indexOf("blob:") === 0) URL.revokeObjectURL(link.href);
        link.href = URL.createObjectURL(blob);
        document.getElementById("export-link-holder").hidden = false;
        link.click();
      });
    });

    var confirmPanel = document.getElementById("delete-confirm");
    document.getElementById("delete-start").addEventListener("click", function () {
      confirmPanel.hidden = false;
      document.getElementById("delete-confirm-title").focus();
    });
    document.getElementById("delete-no").addEventListener("click", function () {
      confirmPanel.hidden = true;
      document.getElementById("delete-start").focus();
    });
    document.getElementById("delete-yes").addEventListener("click", function () {
      H.api("DELETE", "/v1/me", undefined, { auth: true }).then(function (result) {
        if (handleAuthFailure(result)) return;
        if (!result.ok) { H.showPanel(status, "warning", "We could not delete your account. Try again later."); return; }
        H.session.clear();
        account.hidden = true;
        H.showPanel(status, "success", "Your account has been deleted. We will not send you any more alerts.");
        status.focus();
      });
    });

    document.getElementById("signout").addEventListener("click", function () {
      // The server ends the session too, so a copy of the token (another tab, a shared computer) stops working.
      function done(endedOnServer) {
        H.session.clear();
        showSignedOut(endedOnServer ? "You have signed out."
          : "You have signed out on this device. We could not reach the server, so the session ends by itself within 30 minutes.");
      }
      H.api("DELETE", "/v1/session", undefined, { auth: true }).then(function (result) {
        done(result.ok || result.status === 401);
      }, function () { done(false); });
    });

    load();
  });
})();
