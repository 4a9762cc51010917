/*
 * The public list of recent alerts (?org=...&area=...): the alerts a force published, newest first, for one of its
 * named areas or all of them, each linking to its own page, and the force's Atom feed of CAP messages.
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  function option(select, value, label) {
    var item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    select.appendChild(item);
  }

  function entry(org, alert) {
    var item = document.createElement("li");
    var title = document.createElement("h2");
    var link = document.createElement("a");
    link.href = "/alert.html?org=" + encodeURIComponent(org) + "&id=" + encodeURIComponent(alert.id);
    link.textContent = alert.title;
    title.appendChild(link);
    item.appendChild(title);
    var details = document.createElement("p");
    details.textContent = alert.from + ". " + alert.sent_at_local + ". " + alert.area +
      ". Incident reference " + alert.incident_ref + ".";
    item.appendChild(details);
    return item;
  }

  H.ready(function () {
    var query = H.params();
    var form = document.getElementById("alerts-filter");
    var orgs = document.getElementById("alerts-org");
    var areas = document.getElementById("alerts-area");
    var list = document.getElementById("alerts-list");
    var status = document.getElementById("alerts-status");

    function show(org, area) {
      var path = "/v1/public/alerts/" + encodeURIComponent(org) + (area ? "?area=" + encodeURIComponent(area) : "");
      list.innerHTML = "";
      H.api("GET", path).then(function (result) {
        if (!result.ok) {
          H.showPanel(status, "error", "The alerts cannot be shown just now. Please try again later.");
          return;
        }
        var data = result.data;
        if (areas.options.length === 1) {
          data.areas.forEach(function (a) { option(areas, a.id, a.name); });
          areas.value = area || "";
        }
        document.getElementById("alerts-feed-link").href = data.feed;
        document.getElementById("alerts-feed").hidden = false;
        if (!data.alerts.length) {
          H.showPanel(status, "info", "No alerts have been published here in the last 90 days.");
          return;
        }
        status.hidden = true;
        data.alerts.forEach(function (alert) { list.appendChild(entry(org, alert)); });
      });
    }

    H.api("GET", "/v1/public/organisations").then(function (result) {
      if (!result.ok || !result.data.organisations.length) {
        H.showPanel(status, "error", "The alerts cannot be shown just now. Please try again later.");
        return;
      }
      result.data.organisations.forEach(function (o) { option(orgs, o.organisation, o.name); });
      var wanted = query.get("org");
      orgs.value = /^[a-z0-9-]+$/.test(wanted || "") ? wanted : orgs.options[0].value;
      form.hidden = false;
      show(orgs.value, /^[a-z0-9-]+$/.test(query.get("area") || "") ? query.get("area") : "");
    });
    orgs.addEventListener("change", function () {
      areas.length = 1;
      show(orgs.value, "");
    });
    areas.addEventListener("change", function () { show(orgs.value, areas.value); });
  });
})();
