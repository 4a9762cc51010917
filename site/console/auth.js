/*
 * Officer sign-in with Cognito, through amazon-cognito-identity-js (site/vendor, Apache-2.0): SRP (the password never
 * leaves the browser), then the authenticator code (SOFTWARE_TOKEN_MFA), or at first sign-in the enrolment of an
 * authenticator app (MFA_SETUP: AssociateSoftwareToken, a QR code of the otpauth:// URI, VerifySoftwareToken).
 *
 * Tokens live in memory only (MemoryStorage below, not the library's default localStorage): closing or reloading the
 * tab signs out, and no other script on the origin can read a stored token later. "Sign out" revokes the refresh
 * token (GlobalSignOut) and forgets everything.
 */
(function (global) {
  "use strict";

  var Cognito = global.AmazonCognitoIdentity;
  var config = (global.HEXWATCH_CONFIG || {}).cognito || {};
  var ISSUER_LABEL = "Hexwatch";

  function MemoryStorage() { this.items = {}; }
  MemoryStorage.prototype.setItem = function (key, value) { this.items[key] = String(value); };
  MemoryStorage.prototype.getItem = function (key) {
    return Object.prototype.hasOwnProperty.call(this.items, key) ? this.items[key] : null;
  };
  MemoryStorage.prototype.removeItem = function (key) { delete this.items[key]; };
  MemoryStorage.prototype.clear = function () { this.items = {}; };

  var storage = new MemoryStorage();
  var pool = null;
  var user = null;
  var session = null;

  function userPool() {
    if (!pool) {
      if (!Cognito || !config.userPoolId || !config.clientId) {
        throw new Error("The console is not configured for sign-in (config.js has no user pool).");
      }
      pool = new Cognito.CognitoUserPool({ UserPoolId: config.userPoolId, ClientId: config.clientId,
        endpoint: config.endpoint || undefined, Storage: storage });
    }
    return pool;
  }

  /** What Cognito's error means to an officer: never the raw exception. */
  function explain(error) {
    var code = (error && (error.code || error.name)) || "";
    if (code === "NotAuthorizedException") return "The email address or password is not right, or the account is disabled.";
    if (code === "UserNotFoundException") return "The email address or password is not right, or the account is disabled.";
    if (code === "CodeMismatchException" || code === "EnableSoftwareTokenMFAException") return "That code is not right. Enter the code your authenticator app shows now.";
    if (code === "ExpiredCodeException") return "That code has expired. Enter the code your authenticator app shows now.";
    if (code === "InvalidPasswordException") return "The new password does not meet the rules: at least 12 characters, with upper and lower case letters and a number.";
    if (code === "TooManyRequestsException" || code === "LimitExceededException") return "Too many attempts. Wait a minute and try again.";
    if (code === "PasswordResetRequiredException") return "Your password must be reset: ask your force's Hexwatch administrator.";
    return "Signing in did not work (" + (code || "network error") + "). Try again.";
  }

  /**
   * Starts a sign-in. `steps` gets one call: enrol(secret, otpauthUri), code(), newPassword(), signedIn(), or
   * failed(message, field).
   */
  function signIn(username, password, steps) {
    user = new Cognito.CognitoUser({ Username: username, Pool: userPool(), Storage: storage });
    user.setAuthenticationFlowType("USER_SRP_AUTH");
    var details = new Cognito.AuthenticationDetails({ Username: username, Password: password });
    user.authenticateUser(details, handlers(username, steps));
  }

  function handlers(username, steps) {
    return {
      onSuccess: function (result) { session = result; steps.signedIn(); },
      onFailure: function (error) { steps.failed(explain(error), "/password"); },
      newPasswordRequired: function () { steps.newPassword(); },
      totpRequired: function () { steps.code(); },
      mfaRequired: function () { steps.failed("This account uses text message codes, which the console does not take. Ask your administrator to set up an authenticator app instead.", "/password"); },
      selectMFAType: function () { user.sendMFASelectionAnswer("SOFTWARE_TOKEN_MFA", handlers(username, steps)); },
      mfaSetup: function () {
        user.associateSoftwareToken({
          associateSecretCode: function (secret) {
            var uri = "otpauth://totp/" + encodeURIComponent(ISSUER_LABEL + ":" + username) + "?secret=" + secret +
              "&issuer=" + encodeURIComponent(ISSUER_LABEL);
            steps.enrol(secret, uri);
          },
          onFailure: function (error) { steps.failed(explain(error), "/password"); }
        });
      }
    };
  }

  function sendCode(code, steps) {
    user.sendMFACode(code, {
      onSuccess: function (result) { session = result; steps.signedIn(); },
      onFailure: function (error) { steps.failed(explain(error), "/code"); }
    }, "SOFTWARE_TOKEN_MFA");
  }

  function finishEnrolment(code, steps) {
    user.verifySoftwareToken(code, "Hexwatch console", {
      onSuccess: function (result) { session = result; steps.signedIn(); },
      onFailure: function (error) { steps.failed(explain(error), "/enrol_code"); }
    });
  }

  function setNewPassword(password, steps) {
    user.completeNewPasswordChallenge(password, {}, handlers(user.getUsername(), steps));
  }

  /** A current ID token, refreshed first when it has expired (the refresh token lasts a working shift). */
  function idToken() {
    return new Promise(function (resolve, reject) {
      if (!user || !session) { reject(new Error("signed out")); return; }
      if (session.isValid()) { resolve(session.getIdToken().getJwtToken()); return; }
      user.refreshSession(session.getRefreshToken(), function (error, fresh) {
        if (error) { reject(error); return; }
        session = fresh;
        resolve(session.getIdToken().getJwtToken());
      });
    });
  }

  function signOut() {
    var done = function () { user = null; session = null; storage.clear(); };
    if (user && session && session.isValid()) {
      return new Promise(function (resolve) {
        user.globalSignOut({ onSuccess: function () { done(); resolve(); }, onFailure: function () { done(); resolve(); } });
      });
    }
    done();
    return Promise.resolve();
  }

  /** The QR code of `text` as SVG squares built with the DOM (no inline markup, no data: URL: the CSP allows neither). */
  function drawQr(container, text) {
    var qr = global.qrcode(0, "M");
    qr.addData(text);
    qr.make();
    var count = qr.getModuleCount();
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    var size = count + 8;
    svg.setAttribute("viewBox", "0 0 " + size + " " + size);
    svg.setAttribute("width", String(size * 5));
    svg.setAttribute("height", String(size * 5));
    svg.setAttribute("aria-hidden", "true");
    var background = document.createElementNS(ns, "rect");
    background.setAttribute("width", String(size));
    background.setAttribute("height", String(size));
    background.setAttribute("fill", "#fff");
    svg.appendChild(background);
    var path = [];
    for (var row = 0; row < count; row++) {
      for (var col = 0; col < count; col++) {
        if (qr.isDark(row, col)) path.push("M" + (col + 4) + " " + (row + 4) + "h1v1h-1z");
      }
    }
    var dark = document.createElementNS(ns, "path");
    dark.setAttribute("d", path.join(""));
    dark.setAttribute("fill", "#000");
    svg.appendChild(dark);
    container.textContent = "";
    container.appendChild(svg);
  }

  global.ConsoleAuth = {
    signIn: signIn,
    sendCode: sendCode,
    finishEnrolment: finishEnrolment,
    setNewPassword: setNewPassword,
    idToken: idToken,
    signOut: signOut,
    signedIn: function () { return !!session; },
    drawQr: drawQr
  };
})(window);
