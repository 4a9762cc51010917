/*
 * The survey page (?token=...&option=N from a link in an alert email): shows the question with the chosen option
 * selected, and records the answer only when the resident presses the button (mail scanners follow every link, so
 * opening the page records nothing). Without JavaScript the form posts token, option and from_page.
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  H.ready(function () {
    var form = document.getElementById("survey-form");
    var summary = document.getElementById("error-summary");
    var params = H.params();
    var token = params.get("token") || "";
    var chosen = params.get("option") || "";
    var done = document.getElementById("answered-panel");
    if (params.get("answered")) done.hidden = false;
    var freeText = false;

    if (!token) {
      document.querySelector('[data-pointer="/token"]').hidden = false;
      return;
    }
    document.getElementById("token").value = token;
    H.api("GET", "/v1/surveys/page?token=" + encodeURIComponent(token)).then(function (result) {
      if (!result.ok) {
        H.showErrors(form, summary, H.apiErrors(result));
        return;
      }
      var d = result.data || {};
      var about = document.getElementById("survey-alert");
      about.textContent = "From " + (d.from || "the police") + ", about: " + (d.title || "") + " (reference "
        + (d.incident_ref || "") + ")";
      about.hidden = false;
      var current = d.answer || {};
      if (d.free_text) {
        freeText = true;
        document.getElementById("text-question").textContent = d.question;
        document.getElementById("text").value = current.text || "";
        document.getElementById("free-text").hidden = false;
        return;
      }
      document.getElementById("question").textContent = d.question;
      var list = document.getElementById("option-list");
      list.textContent = "";
      (d.options || []).forEach(function (label, index) {
        var value = String(index + 1);
        var row = document.createElement("div");
        row.className = "radio";
        var input = document.createElement("input");
        input.type = "radio";
        input.name = "option";
        input.id = "option-" + value;
        input.value = value;
        input.checked = chosen ? chosen === value : String(current.option || "") === value;
        var text = document.createElement("label");
        text.htmlFor = input.id;
        text.textContent = label;
        row.appendChild(input);
        row.appendChild(text);
        list.appendChild(row);
      });
      document.getElementById("options").hidden = false;
    }, function () {
      H.showErrors(form, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { token: document.getElementById("token").value.trim() };
      if (freeText) {
        var text = document.getElementById("text").value;
        if (!text.trim()) {
          H.showErrors(form, summary, [{ pointer: "/text", message: "Write your answer" }]);
          return;
        }
        body.text = text;
      } else {
        var picked = form.querySelector('input[name="option"]:checked');
        if (!picked) {
          H.showErrors(form, summary, [{ pointer: "/option", message: "Choose an answer" }]);
          return;
        }
        body.option = Number(picked.value);
      }
      H.api("POST", "/v1/surveys/answer", body).then(function (result) {
        if (result.ok) {
          H.clearErrors(form, summary);
          done.hidden = false;
          done.focus && done.focus();
          return;
        }
        H.showErrors(form, summary, H.apiErrors(result));
      }, function () {
        H.showErrors(form, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
      });
    });
  });
})();
