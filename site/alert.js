/*
 * The public page of a sent alert (?org=...&id=...), where a shortened SMS or a push notification leads: the words,
 * the incident reference and the contact details, in the reader's language when the alert has it; for an event, when
 * and where, and a link that adds it to a calendar.
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }

  H.ready(function () {
    var query = H.params();
    var org = query.get("org") || "";
    var id = query.get("id") || "";
    var status = document.getElementById("alert-status");
    if (!/^[a-z0-9-]+$/.test(org) || !/^[0-9A-Z]{26}$/.test(id)) {
      H.showPanel(status, "error", "This link is not complete. Use the link from your message as it is.");
      return;
    }
    H.api("GET", "/v1/public/alerts/" + org + "/" + id).then(function (result) {
      if (!result.ok) {
        H.showPanel(status, "error", result.status === 404 ? "There is no such alert, or it has not been sent."
          : "The alert cannot be shown just now. Please try again later.");
        return;
      }
      var alert = result.data;
      var wanted = (navigator.language || "en").slice(0, 2);
      var content = alert.content[wanted] || alert.content[Object.keys(alert.content)[0]];
      text("alert-from", alert.from);
      text("alert-title", content.title);
      document.title = content.title + " - Hexwatch community alerts";
      var body = document.getElementById("alert-body");
      content.body.split("\n").forEach(function (line) {
        if (!line.trim()) return;
        var p = document.createElement("p");
        p.textContent = line;
        body.appendChild(p);
      });
      if (content.machine_translated) {
        var note = document.createElement("p");
        note.textContent = "This alert was translated automatically.";
        body.appendChild(note);
      }
      var contact = alert.contact || {};
      text("alert-ref", alert.incident_ref);
      text("alert-contact", [contact.phone && "Phone " + contact.phone, contact.email && "Email " + contact.email,
        contact.url && contact.url, contact.text].filter(Boolean).join("; "));
      text("alert-sent", alert.sent_at_local);
      document.getElementById("alert-details").hidden = false;
      if (alert.event) {
        text("event-name", alert.event.title);
        text("event-when", alert.event.start_local + " to " + alert.event.end_local);
        text("event-place", alert.event.place);
        // The calendar file in Europe/London time, served by the API (the email carries the same file).
        document.getElementById("event-calendar").href = "/v1/public/alerts/" + org + "/" + id + "/event.ics";
        document.getElementById("alert-event").hidden = false;
      }
    }, function () {
      H.showPanel(status, "error", "The alert cannot be shown: check your connection and try again.");
    });
  });
})();
