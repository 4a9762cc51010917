/*
 * The signup page with JavaScript: the same form, checked against schemas/signup.json before it is sent as JSON,
 * postcode lookup and "use my location" for each place, and the business sectors shown only with business crime.
 * Without JavaScript none of this runs and the form posts itself to /v1/signup as a plain HTML form.
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  var MESSAGES = {
    "/email": {
      required: "Enter an email address, a mobile phone number or a landline number",
      _: "Enter an email address in the correct format, like name@example.com"
    },
    "/phone": { _: "Enter a mobile phone number, like 07700 123456" },
    "/landline": { _: "Enter a UK landline number starting 01, 02 or 03, like 01785 123456" },
    "/name": { _: "Your name must be 80 characters or fewer" },
    "/language": { _: "Choose a language from the list" },
    "/channels": { _: "Select how you want to get alerts" },
    "/categories": { _: "Select what you want to hear about" },
    "/business_sectors": { _: "Select your type of business from the list" },
    "/groups": { _: "Select watch schemes from the list" },
    "/senders": { _: "Select partner agencies from the list" },
    "/locations": {
      minItems: "Add at least one place",
      maxItems: "You can add up to 5 places",
      _: "Check your places"
    },
    "/locations/*": {
      not: "Give a postcode, or a latitude and longitude, but not both",
      _: "Give a postcode, or a latitude and longitude"
    },
    "/locations/*/label": { _: "Give this place a name of up to 40 characters, like Home" },
    "/locations/*/postcode": {
      required: "Enter a postcode, or a latitude and longitude",
      not: "Give a postcode, or a latitude and longitude, but not both",
      server: "We could not find that postcode. Check it, or give a latitude and longitude instead",
      _: "Enter a real postcode, like ST16 2DJ"
    },
    "/locations/*/lat": {
      required: "Enter a latitude as well as a longitude",
      type: "Latitude must be a number, like 52.8066",
      _: "Latitude must be between 49 and 61.5 (in the UK)"
    },
    "/locations/*/lng": {
      required: "Enter a longitude as well as a latitude",
      type: "Longitude must be a number, like -2.1164",
      _: "Longitude must be between -8.9 and 2.1 (in the UK)"
    },
    "/age_confirmed": { _: "Confirm that you are 12 years old or over" },
    "/consent": { _: "Agree to the privacy notice to sign up" }
  };

  var FIELD_NAMES = {
    "/email": "Email address", "/phone": "Mobile phone number", "/landline": "Landline number", "/name": "Name",
    "/language": "Language", "/channels": "How you get alerts", "/categories": "What you hear about",
    "/business_sectors": "Type of business", "/groups": "Watch schemes", "/senders": "Who else may send you alerts",
    "/locations": "Places",
    "/locations/*": "Place", "/locations/*/label": "Name for this place", "/locations/*/lat": "Latitude",
    "/locations/*/lng": "Longitude", "/age_confirmed": "Age", "/consent": "Privacy notice"
  };

  function describe(error) {
    var pattern = error.pointer.replace(/^\/locations\/\d+/, "/locations/*");
    var table = MESSAGES[pattern];
    if (error.server) {
      // The API's words are written for developers; prefer ours for fields we know, and keep its words otherwise.
      if (table && table.server) return table.server;
      var name = FIELD_NAMES[pattern];
      return name ? name + ": " + error.message : error.message;
    }
    if (table) return table[error.keyword] || table._;
    return (error.pointer ? error.pointer.slice(1).replace(/\//g, " ") + " " : "") + error.message;
  }

  H.ready(function () {
    var form = document.getElementById("signup-form");
    if (!form) return;
    var summary = document.getElementById("error-summary");
    var loading = H.loadValidator(["signup.json"]).catch(function (err) {
      // Without the schemas the server still checks everything; we only lose the early warning.
      if (window.console) console.warn("Hexwatch: client-side checks are off:", err);
      return null;
    });

    // Business sectors matter only to business crime alerts: hide them until that box is ticked.
    var business = document.getElementById("categories-business");
    var sectors = document.getElementById("business-sectors");
    var sectorsHint = document.getElementById("business_sectors-hint");
    function toggleSectors() {
      sectors.hidden = !business.checked;
    }
    if (business && sectors) {
      sectorsHint.textContent = "Select any that apply. We use this to send business crime alerts to the businesses they matter to.";
      business.addEventListener("change", toggleSectors);
      toggleSectors();
    }

    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (!button) return;
      var index = button.getAttribute("data-location");
      if (button.getAttribute("data-action") === "geocode") lookUpPostcode(index);
      if (button.getAttribute("data-action") === "locate") useMyLocation(index);
    });

    Array.prototype.forEach.call(form.querySelectorAll("fieldset.location"), function (place) {
      if (window.PlaceMap) window.PlaceMap.attach(place);
    });

    function field(index, name) {
      return document.getElementById("loc" + index + "-" + name);
    }

    function lookUpPostcode(index) {
      var status = document.getElementById("loc" + index + "-status");
      var postcode = field(index, "postcode").value.trim();
      if (!postcode) {
        H.showPanel(status, "warning", "Enter a postcode first.");
        return;
      }
      H.showPanel(status, "", "Looking up " + postcode + "...");
      H.api("GET", "/v1/geocode?postcode=" + encodeURIComponent(postcode)).then(function (result) {
        if (result.ok && result.data) {
          var d = result.data;
          var text = "We found " + (d.postcode || postcode.toUpperCase()) + " near " + d.lat.toFixed(4) + ", "
            + d.lng.toFixed(4) + ". ";
          if (d.approximate) {
            text += (d.note ? d.note + " " : "") + "A postcode only gives the area roughly, so you may get alerts "
              + "about places nearby, or miss some for your street. To be more exact, select Use my location, "
              + "or type the latitude and longitude of the place.";
          }
          H.showPanel(status, d.approximate ? "warning" : "success", text);
        } else if (result.status === 404) {
          H.showPanel(status, "warning", "We could not find that postcode. Check it, or use your location instead.");
        } else {
          H.showPanel(status, "warning", (result.data && result.data.message) || "We could not look up that postcode.");
        }
      }, function () {
        H.showPanel(status, "warning", "We could not look up that postcode. Check your connection and try again.");
      });
    }

    function useMyLocation(index) {
      var status = document.getElementById("loc" + index + "-status");
      if (!navigator.geolocation) {
        H.showPanel(status, "warning", "Your browser cannot share your location. Type a postcode, or a latitude and longitude.");
        return;
      }
      H.showPanel(status, "", "Finding your location...");
      navigator.geolocation.getCurrentPosition(function (position) {
        field(index, "lat").value = position.coords.latitude.toFixed(5);
        field(index, "lng").value = position.coords.longitude.toFixed(5);
        var usingPoint = "We filled in the latitude and longitude of where you are now";
        if (position.coords.accuracy) usingPoint += " (to within about " + Math.round(position.coords.accuracy) + " metres)";
        usingPoint += ". We will use this point rather than the postcode.";
        H.showPanel(status, "success", usingPoint);
      }, function (err) {
        H.showPanel(status, "warning", (err && err.code === 1 ? "You did not allow us to use your location. "
          : "We could not find your location. ") + "Type a postcode, or a latitude and longitude.");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }

    // The document the API expects, and for each location in it the place (fieldset) it came from.
    function buildDocument() {
      var doc = {};
      ["email", "phone", "landline", "name"].forEach(function (name) {
        var value = form.elements[name].value.trim();
        if (value) doc[name] = value;
      });
      doc.language = form.elements.language.value;
      doc.channels = H.checkedValues(form, "channels");
      doc.categories = H.checkedValues(form, "categories");
      if (!sectors.hidden) {
        var chosen = H.checkedValues(form, "business_sectors");
        if (chosen.length) doc.business_sectors = chosen;
      }
      var groups = H.checkedValues(form, "groups");
      if (groups.length) doc.groups = groups;
      var senders = H.checkedValues(form, "senders");
      if (senders.length) doc.senders = senders;
      var places = [];
      doc.locations = [];
      for (var i = 0; i < 5; i++) {
        var label = field(i, "label").value.trim();
        var postcode = field(i, "postcode").value.trim();
        var lat = H.numberOrText(field(i, "lat").value);
        var lng = H.numberOrText(field(i, "lng").value);
        var blank = !postcode && lat === undefined && lng === undefined;
        if (i > 0 && blank && !label) continue;
        var location = {};
        if (label) location.label = label;
        if (lat !== undefined || lng !== undefined) {
          // A point is better than a postcode district: when both are given, send the point.
          if (lat !== undefined) location.lat = lat;
          if (lng !== undefined) location.lng = lng;
        } else if (postcode) {
          location.postcode = postcode;
        }
        doc.locations.push(location);
        places.push(i);
      }
      if (form.elements.age_confirmed.checked) doc.age_confirmed = true;
      if (form.elements.consent.checked) doc.consent = true;
      return { doc: doc, places: places };
    }

    function toPage(errors, places) {
      return errors.map(function (error) {
        var pointer = error.pointer.replace(/^\/locations\/(\d+)/, function (m, k) {
          var place = places[Number(k)];
          return "/locations/" + (place === undefined ? k : place);
        });
        return { pointer: pointer, message: describe(error) };
      });
    }

    var sending = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) return;
      var built = buildDocument();
      loading.then(function (schemas) {
        if (schemas) {
          var errors = schemas.validator.validate("signup.json", built.doc);
          if (errors.length) {
            H.showErrors(form, summary, toPage(errors, built.places));
            return;
          }
        }
        sending = true;
        var button = document.getElementById("submit");
        button.disabled = true;
        H.api("POST", "/v1/signup", built.doc).then(function (result) {
          sending = false;
          button.disabled = false;
          if (result.status === 202 || result.ok) {
            try {
              sessionStorage.setItem("hexwatch.signup", JSON.stringify({
                email: built.doc.email || null, phone: built.doc.phone || null,
                landline: built.doc.landline || null, answer: result.data
              }));
            } catch (e) { /* the next page then shows its general message */ }
            window.location.assign("/signup-sent.html");
            return;
          }
          H.showErrors(form, summary, toPage(H.apiErrors(result), built.places));
        }, function () {
          sending = false;
          button.disabled = false;
          H.showErrors(form, summary, [{ pointer: "", message: "We could not send your details. Check your connection and try again." }]);
        });
      });
    });
  });
})();
