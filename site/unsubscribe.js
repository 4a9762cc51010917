/*
 * Unsubscribe from the link in an email (?token=...): from everything, or from some kinds of alert. Without
 * JavaScript the form posts token, categories and from_page to /v1/unsubscribe and lands on /unsubscribed.html.
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  H.ready(function () {
    var form = document.getElementById("unsubscribe-form");
    var summary = document.getElementById("error-summary");
    var details = document.getElementById("unsubscribe-details");
    var categories = document.getElementById("categories");
    var all = document.getElementById("scope-all");
    var some = document.getElementById("scope-some");
    var token = H.params().get("token") || "";
    var tokenGroup = document.querySelector('[data-pointer="/token"]');

    all.disabled = false;
    some.disabled = false;
    document.getElementById("categories-hint").textContent = "Select the kinds of alert you no longer want.";
    function toggle() {
      categories.hidden = !some.checked;
    }
    all.addEventListener("change", toggle);
    some.addEventListener("change", toggle);
    toggle();

    if (!token) {
      tokenGroup.hidden = false;
      details.textContent = "Open the unsubscribe link from one of our emails, or paste its code below.";
    } else {
      document.getElementById("token").value = token;
      H.api("GET", "/v1/unsubscribe?token=" + encodeURIComponent(token)).then(function (result) {
        if (!result.ok) {
          details.textContent = (result.data && result.data.message) || "This unsubscribe link is not valid.";
          return;
        }
        var d = result.data || {};
        if (d.subscribed === false) {
          details.textContent = (d.contact || "This address") + " is not getting any alerts now.";
        } else {
          details.textContent = "Choose whether to stop all alerts to " + (d.contact || "this address")
            + ", or only some kinds.";
        }
        var current = d.categories || [];
        Array.prototype.forEach.call(categories.querySelectorAll("input[type=checkbox]"), function (box) {
          var item = box.closest(".checkbox");
          if (current.length && current.indexOf(box.value) < 0) item.hidden = true;
        });
      }, function () {
        details.textContent = "We could not check this link. You can still unsubscribe below.";
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = document.getElementById("token").value.trim();
      var body = {};
      if (some.checked) {
        var chosen = H.checkedValues(categories, "categories");
        if (!chosen.length) {
          H.showErrors(form, summary, [{ pointer: "/categories", message: "Select the kinds of alert you want to stop" }]);
          return;
        }
        body.categories = chosen;
      }
      if (!value) {
        H.showErrors(form, summary, [{ pointer: "/token", message: "Open the unsubscribe link from one of our emails" }]);
        return;
      }
      H.api("POST", "/v1/unsubscribe?token=" + encodeURIComponent(value), body).then(function (result) {
        if (result.ok) {
          window.location.assign("/unsubscribed.html");
          return;
        }
        var errors = H.apiErrors(result);
        if (result.status !== 400) errors = [{ pointer: "", message: (result.data && result.data.message) || "This unsubscribe link is not valid." }];
        H.showErrors(form, summary, errors);
      }, function () {
        H.showErrors(form, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
      });
    });
  });
})();
