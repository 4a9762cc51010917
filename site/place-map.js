/*
 * A map pin for each of a resident's places, on the signup and account pages. "Place a pin on a map" opens a map
 * under the place's fields; a click (or Enter on the map, which puts the pin at its centre after moving it with the
 * arrow keys) sets the pin and fills in the latitude and longitude, and the postcode is cleared, since a place is one
 * or the other. Typed coordinates move the pin. Without JavaScript, or if the map cannot load, the typed
 * coordinates, "Use my location" and the postcode work exactly as before: the map only fills in those fields.
 */
(function (global) {
  "use strict";

  var counter = 0;

  function attach(place) {
    if (!global.HexMap || !global.L || place.querySelector(".place-map-tools")) return;
    var lat = place.querySelector('input[id$="-lat"]');
    var lng = place.querySelector('input[id$="-lng"]');
    var postcode = place.querySelector('input[id$="-postcode"]');
    if (!lat || !lng) return;
    var id = "place-map-" + (++counter);
    var tools = document.createElement("div");
    tools.className = "place-map-tools";
    var open = document.createElement("button");
    open.type = "button";
    open.className = "secondary";
    open.textContent = "Place a pin on a map";
    open.setAttribute("aria-controls", id);
    open.setAttribute("aria-expanded", "false");
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.id = id + "-hint";
    hint.hidden = true;
    hint.textContent = "Click the map where the place is, or drag the pin. With a keyboard: move the map with the " +
      "arrow keys, zoom with + and -, and press Enter to put the pin in the middle.";
    var element = document.createElement("div");
    element.className = "map map--place";
    element.id = id;
    element.hidden = true;
    tools.appendChild(open);
    tools.appendChild(hint);
    tools.appendChild(element);
    place.appendChild(tools);

    var map = null;
    function readTyped() {
      var a = Number(lat.value), b = Number(lng.value);
      return lat.value.trim() && lng.value.trim() && isFinite(a) && isFinite(b) ? [a, b] : null;
    }
    function pinned(a, b) {
      lat.value = a.toFixed(5);
      lng.value = b.toFixed(5);
      if (postcode && postcode.value) postcode.value = "";
      lat.dispatchEvent(new Event("input", { bubbles: true }));
      element.setAttribute("data-pinned", "true");
    }
    open.addEventListener("click", function () {
      var showing = element.hidden;
      element.hidden = !showing;
      hint.hidden = !showing;
      open.setAttribute("aria-expanded", String(showing));
      open.textContent = showing ? "Hide the map" : "Place a pin on a map";
      if (!showing) return;
      if (!map) {
        var typed = readTyped();
        map = global.HexMap.create(element, {
          center: typed || undefined, zoom: typed ? 14 : 6,
          label: "Map: click where the place is, or press Enter to put the pin in the middle",
          onPin: pinned
        });
        element.setAttribute("aria-describedby", hint.id);
        map.setMode("pin");
        if (typed) map.setPin(typed[0], typed[1], false);
      } else {
        map.map.invalidateSize();
      }
    });
    [lat, lng].forEach(function (field) {
      field.addEventListener("change", function () {
        var typed = readTyped();
        if (map && typed) map.setPin(typed[0], typed[1], true);
      });
    });
    return {
      /** After a postcode lookup: show that area so the resident can pin their street. */
      centreOn: function (a, b) { if (map) map.map.setView([a, b], 14); }
    };
  }

  global.PlaceMap = { attach: attach };
})(window);
