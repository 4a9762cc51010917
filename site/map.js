/*
 * The map that residents and officers share: Leaflet (site/vendor/leaflet, BSD-2-Clause) over a basemap that works
 * offline. The basemap is /basemap.json, built by the site build from the project's own outcode data (the towns), so
 * no tile server is needed; deployed, config.js may add Amazon Location Service raster tiles under it (mapTiles).
 *
 * HexMap.create(element, options) returns a small object:
 *   - pin mode (residents): a click, or Enter on the focused map, puts the pin there; onPin(lat, lng) is told.
 *   - circle mode (officers): press and drag from the centre draws a circle; a click moves the centre and keeps the
 *     radius; onCircle(lat, lng, radius_m) is told.
 *   - polygon mode (officers): each click adds a corner; onPolygon(ring) is told with the closed [lng, lat] ring.
 * Everything the map does can also be typed in the form fields beside it: the map is never the only way.
 */
(function (global) {
  "use strict";

  var L = global.L;
  var config = global.HEXWATCH_CONFIG || {};
  var UK_CENTRE = [54.0, -2.5];
  var TOWN_LABEL_ZOOM = 10;
  var DISTRICT_ZOOM = 12;
  var basemapRequest = null;
  var instances = {};  // by element id: the tests and the console's views find a map again by its element

  function basemap() {
    if (!basemapRequest) {
      basemapRequest = global.fetch("/basemap.json", { cache: "force-cache" }).then(function (response) {
        if (!response.ok) throw new Error("basemap " + response.status);
        return response.json();
      });
    }
    return basemapRequest;
  }

  function round6(value) { return Math.round(value * 1e6) / 1e6; }

  /** Labelled dots for the places within view: towns from zoom 8, postcode districts from zoom 12 (a few dozen
   * at a time; the rows are [name, lng, lat]). */
  function placeLayer(map, rows, minZoom, labelZoom, className) {
    var layer = L.layerGroup().addTo(map);
    function refresh() {
      layer.clearLayers();
      if (map.getZoom() < minZoom) return;
      var bounds = map.getBounds().pad(0.1);
      rows.forEach(function (row) {
        if (!bounds.contains([row[2], row[1]])) return;
        var dot = L.circleMarker([row[2], row[1]], { radius: 3, weight: 1, color: "#0b0c0c", fillOpacity: 0.8,
          interactive: false, className: className });
        if (map.getZoom() >= labelZoom) {
          dot.bindTooltip(row[0], { permanent: true, direction: "right", className: "map-town-label",
            interactive: false });
        }
        layer.addLayer(dot);
      });
    }
    map.on("moveend", refresh);
    refresh();
    return layer;
  }

  function create(element, options) {
    options = options || {};
    var map = L.map(element, {
      center: options.center || UK_CENTRE,
      zoom: options.zoom || 6,
      minZoom: 5,
      maxZoom: 17,
      keyboard: true,
      zoomSnap: 0.5,
      // No zoom or fade animations: they wait on CSS transitions (which a hidden tab never finishes, leaving the map
      // deaf to the next move), and a map that jumps is kinder to people who get motion sickness.
      zoomAnimation: false,
      fadeAnimation: false,
      markerZoomAnimation: false
    });
    if (config.mapTiles && config.mapTiles.url) {
      L.tileLayer(config.mapTiles.url, { attribution: config.mapTiles.attribution || "", maxZoom: 17 }).addTo(map);
    }
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("Towns and postcode districts: Hexwatch outcode data");
    // The map's container is focusable (Leaflet gives it tabindex 0): give it a name for screen readers.
    element.setAttribute("role", "application");
    element.setAttribute("aria-label", options.label || "Map");

    var api = {
      map: map,
      mode: null,
      pin: null,
      circle: null,
      polygon: null,
      corners: [],
      areas: L.layerGroup().addTo(map)
    };
    instances[element.id] = api;

    api.ready = basemap().then(function (data) {
      placeLayer(map, data.towns, TOWN_LABEL_ZOOM - 2, TOWN_LABEL_ZOOM, "map-town");
      placeLayer(map, data.districts, DISTRICT_ZOOM, DISTRICT_ZOOM, "map-district");
      element.setAttribute("data-rendered", "true");
      return api;
    }, function (error) {
      element.setAttribute("data-rendered", "failed");
      throw error;
    });

    // --- resident pins

    api.setPin = function (lat, lng, pan) {
      if (api.pin) api.pin.setLatLng([lat, lng]);
      else {
        api.pin = L.marker([lat, lng], { draggable: true, keyboard: true, title: "Your place", alt: "Your place" })
          .addTo(map);
        api.pin.on("dragend", function () {
          var at = api.pin.getLatLng();
          if (options.onPin) options.onPin(round6(at.lat), round6(at.lng));
        });
      }
      if (pan) map.setView([lat, lng], Math.max(map.getZoom(), 13));
    };

    // --- officers' shapes

    api.showAreas = function (areas, permittedOnly) {
      api.areas.clearLayers();
      areas.forEach(function (area) {
        if (area.id === "boundary" || (permittedOnly && !area.permitted)) return;
        L.geoJSON(area.geometry, {
          interactive: false,
          style: { color: area.permitted ? "#00703c" : "#505a5f", weight: 1, dashArray: area.permitted ? null : "4 4",
            fillOpacity: area.permitted ? 0.12 : 0 }
        }).bindTooltip(area.name).addTo(api.areas);
      });
    };

    api.showBoundary = function (geometry) {
      L.geoJSON(geometry, { interactive: false, style: { color: "#1d70b8", weight: 2, fill: false } }).addTo(api.areas);
    };

    api.clearShape = function () {
      [api.circle, api.polygon].forEach(function (layer) { if (layer) map.removeLayer(layer); });
      api.circle = null; api.polygon = null; api.corners = [];
    };

    api.setCircle = function (lat, lng, radius, fit) {
      if (api.polygon) { map.removeLayer(api.polygon); api.polygon = null; api.corners = []; }
      if (api.circle) { api.circle.setLatLng([lat, lng]); api.circle.setRadius(radius); }
      else api.circle = L.circle([lat, lng], { radius: radius, color: "#d4351c", weight: 2, className: "map-target" })
        .addTo(map);
      if (fit) map.fitBounds(api.circle.getBounds(), { maxZoom: 15 });
    };

    api.setPolygon = function (ring, fit) {
      if (api.circle) { map.removeLayer(api.circle); api.circle = null; }
      var latLngs = ring.map(function (p) { return [p[1], p[0]]; });
      if (api.polygon) api.polygon.setLatLngs(latLngs);
      else api.polygon = L.polygon(latLngs, { color: "#d4351c", weight: 2, className: "map-target" }).addTo(map);
      if (fit && latLngs.length > 2) map.fitBounds(api.polygon.getBounds(), { maxZoom: 15 });
    };

    /** A stored target's GeoJSON (a drawn Polygon or MultiPolygon), shown as the target and fitted to. */
    api.showGeometry = function (geometry) {
      api.clearShape();
      api.polygon = L.geoJSON(geometry, { style: { color: "#d4351c", weight: 2 }, className: "map-target" }).addTo(map);
      map.fitBounds(api.polygon.getBounds(), { maxZoom: 15 });
    };

    api.fitTo = function (geometry) {
      var layer = L.geoJSON(geometry);
      map.fitBounds(layer.getBounds());
    };

    api.setMode = function (mode) {
      api.mode = mode;
      // While drawing, a press on the map draws instead of panning (arrow keys, the zoom buttons and the wheel still
      // move the map), as drawing tools do.
      if (mode === "circle" || mode === "polygon") map.dragging.disable(); else map.dragging.enable();
      element.setAttribute("data-mode", mode || "");
      if (mode === "polygon") api.corners = [];
    };

    // Press and drag from the centre draws a circle (the map does not pan meanwhile); a click moves the centre.
    var drawing = null;
    map.on("mousedown", function (event) {
      if (api.mode !== "circle") return;
      var radius = api.circle ? api.circle.getRadius() : (options.defaultRadius || 1000);
      drawing = { centre: event.latlng, moved: false };
      api.setCircle(event.latlng.lat, event.latlng.lng, radius, false);
    });
    map.on("mousemove", function (event) {
      if (!drawing) return;
      var radius = Math.max(50, Math.min(20000, Math.round(drawing.centre.distanceTo(event.latlng))));
      if (radius > 60) drawing.moved = true;
      if (drawing.moved) api.circle.setRadius(radius);
    });
    function finishCircle() {
      if (!drawing) return;
      var at = api.circle.getLatLng();
      drawing = null;
      // A drawn radius to the nearest 10 m: a hand on a mouse is no more precise, and "1000 m" reads as meant.
      var radius = Math.max(50, Math.round(api.circle.getRadius() / 10) * 10);
      api.circle.setRadius(radius);
      if (options.onCircle) options.onCircle(round6(at.lat), round6(at.lng), radius);
    }
    map.on("mouseup", finishCircle);
    element.addEventListener("mouseleave", finishCircle);

    map.on("click", function (event) {
      var lat = round6(event.latlng.lat), lng = round6(event.latlng.lng);
      if (api.mode === "pin") {
        api.setPin(lat, lng, false);
        if (options.onPin) options.onPin(lat, lng);
      } else if (api.mode === "polygon") {
        api.corners.push([lng, lat]);
        var ring = api.corners.concat([api.corners[0]]);
        api.setPolygon(ring, false);
        if (options.onPolygon) options.onPolygon(api.corners.length >= 3 ? ring : null);
      }
    });
    // Enter on the focused map puts the pin at its centre: the crosshair a keyboard user has panned with the arrows.
    element.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || api.mode !== "pin" || event.target !== element) return;
      var centre = map.getCenter();
      api.setPin(round6(centre.lat), round6(centre.lng), false);
      if (options.onPin) options.onPin(round6(centre.lat), round6(centre.lng));
    });
    return api;
  }

  global.HexMap = { create: create, available: function () { return !!L; }, instances: instances };
})(window);
