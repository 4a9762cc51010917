/*
 * The reply page (?token=... from the link in an alert email): shows the alert and what this resident already sent
 * about it, with the team's answers, and sends a new reply to POST /v1/replies. Without JavaScript the form posts
 * token, text and from_page, and lands back here with ?sent=1.
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  function item(text, answers, when) {
    var li = document.createElement("li");
    var p = document.createElement("p");
    p.textContent = text;
    var meta = document.createElement("p");
    meta.className = "hint";
    meta.textContent = "Sent " + when;
    li.appendChild(p);
    li.appendChild(meta);
    (answers || []).forEach(function (answer) {
      var reply = document.createElement("p");
      reply.className = "panel";
      reply.textContent = "The team answered: " + answer.text;
      li.appendChild(reply);
    });
    return li;
  }

  H.ready(function () {
    var form = document.getElementById("reply-form");
    var summary = document.getElementById("error-summary");
    var token = H.params().get("token") || "";
    var sent = document.getElementById("sent-panel");
    if (H.params().get("sent")) sent.hidden = false;

    function load() {
      if (!token) {
        document.querySelector('[data-pointer="/token"]').hidden = false;
        return;
      }
      document.getElementById("token").value = token;
      H.api("GET", "/v1/replies/page?token=" + encodeURIComponent(token)).then(function (result) {
        if (!result.ok) {
          H.showErrors(form, summary, H.apiErrors(result));
          return;
        }
        var d = result.data || {};
        var alert = d.alert || {};
        document.getElementById("alert-from").textContent = "From " + (alert.from || "the police");
        document.getElementById("alert-heading").textContent = alert.title || "";
        document.getElementById("alert-body").textContent = alert.body || "";
        document.getElementById("alert-reference").textContent = alert.incident_ref || "";
        document.getElementById("alert-panel").hidden = false;
        var list = document.getElementById("history-list");
        list.textContent = "";
        (d.replies || []).forEach(function (r) { list.appendChild(item(r.text, r.answers, r.received_at)); });
        document.getElementById("history").hidden = !(d.replies || []).length;
      }, function () {
        H.showErrors(form, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = document.getElementById("text").value;
      var value = document.getElementById("token").value.trim();
      if (!value) {
        H.showErrors(form, summary, [{ pointer: "/token", message: "Open the reply link from the alert email" }]);
        return;
      }
      if (!text.trim()) {
        H.showErrors(form, summary, [{ pointer: "/text", message: "Write what you want to tell the team" }]);
        return;
      }
      H.api("POST", "/v1/replies", { token: value, text: text }).then(function (result) {
        if (result.ok) {
          H.clearErrors(form, summary);
          document.getElementById("text").value = "";
          sent.hidden = false;
          load();
          return;
        }
        H.showErrors(form, summary, H.apiErrors(result));
      }, function () {
        H.showErrors(form, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
      });
    });
    load();
  });
})();
