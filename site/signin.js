/*
 * Passwordless sign-in. With ?token= (the emailed link) the page shows one "Sign in" button and swaps the token for a
 * session only when the resident presses it: mail scanners that open links and run scripts would otherwise use up
 * the link, which works once. Otherwise it asks for an email (link) or a mobile number (code).
 */
(function () {
  "use strict";
  var H = window.Hexwatch;

  var MESSAGES = {
    "": "Enter one of an email address, a mobile number or a landline number",
    "/email": "Enter an email address in the correct format, like name@example.com",
    "/phone": "Enter a mobile number, like 07700 123456",
    "/landline": "Enter a UK landline number starting 01, 02 or 03, like 01785 257111",
    "/code": "Enter the 6-digit code we texted you"
  };

  function describe(errors) {
    return errors.map(function (e) {
      var message = MESSAGES[e.pointer] || e.message;
      if (e.keyword === "required" && e.pointer === "/email") message = "Enter an email address, a mobile number or a landline number";
      return { pointer: e.pointer, message: message };
    });
  }

  H.ready(function () {
    var summary = document.getElementById("error-summary");
    var status = document.getElementById("signin-status");
    var requestForm = document.getElementById("signin-form");
    var codeForm = document.getElementById("code-form");
    var loading = H.loadValidator(["signin.json", "verify.json"]).catch(function () { return null; });
    var phoneUsed = null;  // {phone: ...} or {landline: ...}: where the code went

    function openSession(form, body) {
      return H.api("POST", "/v1/session", body).then(function (result) {
        if (result.ok && result.data && result.data.session) {
          H.session.set(result.data.session);
          window.location.replace("/manage.html");
          return true;
        }
        // The API's messages already say what to do next ("Ask for a new one.").
        var message = (result.data && result.data.message)
          || "This sign-in link or code has expired or has already been used. Ask for a new one below.";
        H.showErrors(form, summary, [{ pointer: "", message: message }]);
        return false;
      }, function () {
        H.showErrors(form, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
        return false;
      });
    }

    var token = H.params().get("token");
    var confirmSection = document.getElementById("confirm-section");
    var requestSection = document.getElementById("request-section");
    var confirmForm = document.getElementById("confirm-form");
    if (token) {
      confirmSection.hidden = false;
      requestSection.hidden = true;
      confirmForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = document.getElementById("confirm-signin");
        button.disabled = true;
        H.showPanel(status, "", "Signing you in...");
        openSession(confirmForm, { token: token }).then(function (ok) {
          if (ok) return;
          status.hidden = true;
          confirmSection.hidden = true;
          requestSection.hidden = false;
        });
      });
    }

    requestForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      var email = requestForm.elements.email.value.trim();
      var phone = requestForm.elements.phone.value.trim();
      var landline = requestForm.elements.landline.value.trim();
      if (email) body.email = email;
      if (phone) body.phone = phone;
      if (landline) body.landline = landline;
      loading.then(function (schemas) {
        if (schemas) {
          var errors = schemas.validator.validate("signin.json", body);
          if (errors.length) { H.showErrors(requestForm, summary, describe(errors)); return; }
        }
        H.api("POST", "/v1/signin", body).then(function (result) {
          if (!result.ok) { H.showErrors(requestForm, summary, H.apiErrors(result)); return; }
          H.clearErrors(requestForm, summary);
          if (body.email) {
            H.showPanel(status, "success", "If " + body.email + " is signed up, we have sent it a sign-in link. "
              + "Open the link on this device to sign in.");
          } else {
            phoneUsed = body.phone ? { phone: body.phone } : { landline: body.landline };
            H.showPanel(status, "success", body.phone
              ? "If " + body.phone + " is signed up, we have texted it a 6-digit code."
              : "If " + body.landline + " is signed up, we are calling it now: the call reads a 6-digit code twice.");
            document.getElementById("code-section").hidden = false;
            document.getElementById("signin-code").focus();
          }
        }, function () {
          H.showErrors(requestForm, summary, [{ pointer: "", message: "We could not reach the server. Check your connection and try again." }]);
        });
      });
    });

    codeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { code: document.getElementById("signin-code").value.replace(/\s+/g, "") };
      if (phoneUsed && phoneUsed.landline) body.landline = phoneUsed.landline; else body.phone = (phoneUsed && phoneUsed.phone) || "";
      loading.then(function (schemas) {
        if (schemas) {
          var errors = schemas.validator.validate("verify.json", body);
          if (errors.length) { H.showErrors(codeForm, summary, describe(errors)); return; }
        }
        openSession(codeForm, body);
      });
    });
  });
})();
