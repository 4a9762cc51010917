/*
 * Confirming a contact. With the emailed link (?token=...), one button confirms and signs the resident in; nothing is
 * posted until it is pressed, because the link works once and mail scanners open links. A link used before, for an
 * address already confirmed, says so and offers sign-in. A texted code works with the phone number. Without
 * JavaScript both forms post to /v1/verify and land on /verified.html (or on a page explaining the problem).
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  var MESSAGES = {
    "/token": "This link is not complete. Open the link from your email again, or copy all of it.",
    "/phone": "Enter the mobile number you signed up with, like 07700 123456",
    "/landline": "Enter the landline number you signed up with, like 01785 257111",
    "/code": "Enter the 6-digit code we texted you"
  };

  H.ready(function () {
    var summary = document.getElementById("error-summary");
    var validating = H.loadValidator(["verify.json"]).catch(function () { return null; });
    var token = H.params().get("token");
    var tokenForm = document.getElementById("token-form");
    var codeForm = document.getElementById("code-form");

    if (token) {
      document.getElementById("token").value = token;
    } else {
      document.getElementById("token-section").hidden = true;
    }

    function describe(errors) {
      return errors.map(function (e) {
        return { pointer: e.pointer, message: MESSAGES[e.pointer] || e.message };
      });
    }

    function redeem(form, body) {
      validating.then(function (schemas) {
        if (schemas) {
          var errors = schemas.validator.validate("verify.json", body);
          if (errors.length) { H.showErrors(form, summary, describe(errors)); return; }
        }
        H.api("POST", "/v1/verify", body).then(function (result) {
          if (result.ok && result.data && result.data.session) {
            H.session.set(result.data.session);
            window.location.assign("/manage.html?welcome=1");
            return;
          }
          if (result.ok) { window.location.assign("/verified.html"); return; }
          if (result.status === 409 && form === tokenForm) {
            H.clearErrors(form, summary);
            document.getElementById("token-section").hidden = true;
            document.getElementById("already-section").hidden = false;
            document.getElementById("already-title").focus();
            return;
          }
          var errors = H.apiErrors(result);
          if (result.status === 400 || result.status === 404 || result.status === 410) {
            errors = [{ pointer: errors[0].pointer, message: (result.data && result.data.message)
              || "This link or code has expired or has already been used." }];
          }
          H.showErrors(form, summary, errors);
        }, function () {
          H.showErrors(form, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
        });
      });
    }

    tokenForm.addEventListener("submit", function (event) {
      event.preventDefault();
      redeem(tokenForm, { token: document.getElementById("token").value.trim() });
    });
    var landlineForm = document.getElementById("landline-form");
    landlineForm.addEventListener("submit", function (event) {
      event.preventDefault();
      redeem(landlineForm, {
        landline: document.getElementById("verify-landline").value.trim(),
        code: document.getElementById("verify-landline-code").value.replace(/\s+/g, "")
      });
    });
    codeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      var phone = document.getElementById("verify-phone").value.trim();
      var code = document.getElementById("verify-code").value.replace(/\s+/g, "");
      body.phone = phone;
      body.code = code;
      redeem(codeForm, body);
    });
  });
})();
