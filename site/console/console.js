/*
 * The officer console: one page, several views (#/alerts, #/compose, #/alerts/<id>, #/review, #/dashboard), because
 * the tokens are held in memory and would not survive a page load. Every call goes to the public officer API with the
 * officer's own ID token: the console can do nothing that curl with the same token could not.
 */
(function (global) {
  "use strict";

  var H = global.Hexwatch;
  var Auth = global.ConsoleAuth;
  var APPROVER_ROLES = ["officer", "supervisor", "admin"];
  var REFRESH_MS = 2000;
  var LIVE_STATUSES = ["sending", "scheduled", "pending_approval", "paused"];
  var STATUS_LABELS = {
    draft: "Draft", pending_approval: "Waiting for approval", scheduled: "Scheduled", sending: "Sending",
    sent: "Sent", paused: "Paused", cancelled: "Cancelled", rejected: "Rejected"
  };

  var state = { me: null, areas: null, listCursor: null, refreshTimer: null, viewing: null };
  var summary, statusPanel;

  function $(id) { return document.getElementById(id); }

  /** The API with the officer's token; a 401 means the session is over. */
  function call(method, path, body) {
    return Auth.idToken().then(function (token) {
      return H.api(method, path, body, { token: token });
    }, function () {
      showSignIn("Your session has ended. Sign in again.");
      return Promise.reject(new Error("signed out"));
    });
  }

  function say(kind, text) { H.showPanel(statusPanel, kind, text); }
  /** A message for the next view: shown once that view has opened (opening a view clears the panel). */
  function flash(kind, text) { state.flash = { kind: kind, text: text }; }
  function quiet() { statusPanel.hidden = true; }

  function failed(form, result) {
    H.showErrors(form || document.body, summary, H.apiErrors(result));
  }

  function label(status) { return STATUS_LABELS[status] || status; }

  function ukTime(iso) {
    if (!iso) return "";
    try {
      return new Date(iso).toLocaleString("en-GB", { timeZone: "Europe/London", day: "numeric", month: "short",
        year: "numeric", hour: "2-digit", minute: "2-digit" });
    } catch (e) { return iso; }
  }

  // --- views

  function show(view) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (section) {
      section.hidden = section.getAttribute("data-view") !== view;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-nav]"), function (link) {
      if (link.getAttribute("data-nav") === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    if (state.refreshTimer) { global.clearTimeout(state.refreshTimer); state.refreshTimer = null; }
  }

  function route() {
    if (!Auth.signedIn()) { showSignIn(); return; }
    summary.hidden = true;
    var hash = global.location.hash || "#/alerts";
    var match = hash.match(/^#\/alerts\/([0-9A-HJKMNP-TV-Z]{26})$/);
    if (match) { showAlert(match[1]); return; }
    var editing = hash.match(/^#\/alerts\/([0-9A-HJKMNP-TV-Z]{26})\/edit$/);
    if (editing) { show("compose"); global.ConsoleCompose.open(state, editing[1]); return; }
    if (hash === "#/compose") { show("compose"); global.ConsoleCompose.open(state, null); return; }
    if (hash === "#/review") { showReview(); return; }
    if (hash === "#/dashboard") { show("dashboard"); if (global.ConsoleDashboard) global.ConsoleDashboard.open(call); return; }
    showList();
  }

  // --- sign in

  function showSignIn(message) {
    $("console-nav").hidden = true;
    show("signin");
    ["new-password-form", "enrol-form", "code-form"].forEach(function (id) { $(id).hidden = true; });
    $("password-form").hidden = false;
    if (message) say("warning", message); else quiet();
  }

  function signInSteps(currentForm) {
    return {
      signedIn: function () {
        quiet();
        H.clearErrors(currentForm, summary);
        call("GET", "/v1/officer/me").then(function (result) {
          if (!result.ok) {
            Auth.signOut();
            showSignIn(result.status === 403 ? "Your account is not on any force's list of Hexwatch users yet. Ask your administrator." : "Signing in did not work. Try again.");
            return;
          }
          state.me = result.data;
          state.areas = null;
          $("console-nav").hidden = false;
          $("nav-review").hidden = APPROVER_ROLES.indexOf(state.me.role) < 0;
          $("who").textContent = "Signed in as " + state.me.username + " (" + state.me.role + ", " + state.me.organisation + ")";
          if (!global.location.hash || global.location.hash === "#/") global.location.hash = "#/alerts"; else route();
          $("main").focus();
        });
      },
      code: function () { swap(currentForm, "code-form", "signin-code"); },
      newPassword: function () { swap(currentForm, "new-password-form", "new-password"); },
      enrol: function (secret, uri) {
        Auth.drawQr($("enrol-qr"), uri);
        $("enrol-secret").textContent = secret;
        swap(currentForm, "enrol-form", "enrol-code");
      },
      failed: function (message, pointer) {
        H.showErrors(currentForm, summary, [{ pointer: pointer, message: message }]);
      }
    };
  }

  function swap(fromForm, toId, focusId) {
    H.clearErrors(fromForm, summary);
    fromForm.hidden = true;
    $(toId).hidden = false;
    $(focusId).value = "";
    $(focusId).focus();
  }

  function wireSignIn() {
    $("password-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      var username = $("signin-username").value.trim(), password = $("signin-password").value;
      var errors = [];
      if (!username) errors.push({ pointer: "/username", message: "Enter your email address" });
      if (!password) errors.push({ pointer: "/password", message: "Enter your password" });
      if (errors.length) { H.showErrors(form, summary, errors); return; }
      try { Auth.signIn(username, password, signInSteps(form)); } catch (e) { say("error", e.message); }
      $("signin-password").value = "";
    });
    $("code-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var code = $("signin-code").value.replace(/\s+/g, "");
      if (!/^[0-9]{6}$/.test(code)) { H.showErrors(event.target, summary, [{ pointer: "/code", message: "Enter the 6 digits your authenticator app shows" }]); return; }
      Auth.sendCode(code, signInSteps(event.target));
    });
    $("enrol-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var code = $("enrol-code").value.replace(/\s+/g, "");
      if (!/^[0-9]{6}$/.test(code)) { H.showErrors(event.target, summary, [{ pointer: "/enrol_code", message: "Enter the 6 digits your authenticator app shows" }]); return; }
      Auth.finishEnrolment(code, signInSteps(event.target));
    });
    $("new-password-form").addEventListener("submit", function (event) {
      event.preventDefault();
      Auth.setNewPassword($("new-password").value, signInSteps(event.target));
    });
    $("sign-out").addEventListener("click", function () {
      Auth.signOut().then(function () {
        state.me = null;
        global.history.replaceState(null, "", "/console/");
        showSignIn("You have signed out.");
      });
    });
  }

  // --- lists

  function areas() {
    if (state.areas) return Promise.resolve(state.areas);
    return call("GET", "/v1/areas").then(function (result) {
      state.areas = result.ok ? result.data.areas : [];
      return state.areas;
    });
  }

  function alertRow(alert, extra) {
    var row = document.createElement("tr");
    var titleCell = document.createElement("td");
    var link = document.createElement("a");
    link.href = "#/alerts/" + alert.id;
    link.textContent = alert.title;
    titleCell.appendChild(link);
    row.appendChild(titleCell);
    [extra !== undefined ? extra : alert.incident_ref, ukTime(alert.created_at), label(alert.status)].forEach(function (text) {
      var cell = document.createElement("td");
      cell.textContent = text || "";
      row.appendChild(cell);
    });
    return row;
  }

  function showList() {
    show("alerts");
    areas().then(function (list) {
      var select = $("filter-area");
      if (select.options.length <= 1) {
        list.forEach(function (area) {
          if (area.id === "boundary") return;
          var option = document.createElement("option");
          option.value = area.id; option.textContent = area.name;
          select.appendChild(option);
        });
      }
    });
    var approver = state.me && APPROVER_ROLES.indexOf(state.me.role) >= 0;
    $("pending-section").hidden = true;
    if (approver) {
      call("GET", "/v1/alerts?status=pending_approval&limit=50").then(function (result) {
        var body = $("pending-table").querySelector("tbody");
        body.textContent = "";
        if (!result.ok) return;
        result.data.alerts.forEach(function (alert) { body.appendChild(alertRow(alert)); });
        $("pending-section").hidden = result.data.alerts.length === 0;
      });
    }
    loadAlerts(false);
  }

  function listQuery() {
    var params = new URLSearchParams();
    params.set("limit", "25");
    ["status", "area", "author", "from", "to"].forEach(function (name) {
      var value = $("filter-" + name).value;
      if (value) params.set(name, value);
    });
    if (state.listCursor) params.set("cursor", state.listCursor);
    return "/v1/alerts?" + params.toString();
  }

  function loadAlerts(more) {
    if (!more) state.listCursor = null;
    var form = $("filter-form");
    call("GET", listQuery()).then(function (result) {
      var body = $("alerts-table").querySelector("tbody");
      if (!more) body.textContent = "";
      if (!result.ok) { failed(form, result); return; }
      H.clearErrors(form, summary);
      result.data.alerts.forEach(function (alert) { body.appendChild(alertRow(alert)); });
      state.listCursor = result.data.next_cursor;
      $("alerts-more").hidden = !state.listCursor;
      $("alerts-empty").hidden = body.children.length > 0;
    });
  }

  function showReview() {
    show("review");
    call("GET", "/v1/review?limit=50").then(function (result) {
      var body = $("review-table").querySelector("tbody");
      body.textContent = "";
      if (!result.ok) { failed(null, result); return; }
      result.data.alerts.forEach(function (alert) {
        body.appendChild(alertRow(alert, alert.partner ? (alert.partner.name || alert.partner.id || "") : ""));
      });
      $("review-empty").hidden = result.data.alerts.length > 0;
    });
  }

  // --- one alert

  function fact(list, term, value) {
    if (value === undefined || value === null || value === "") return;
    var dt = document.createElement("dt"); dt.textContent = term;
    var dd = document.createElement("dd"); dd.textContent = value;
    list.appendChild(dt); list.appendChild(dd);
  }

  function targetText(target) {
    if (target.type === "circle") return "Within " + target.radius_m + " m of " + target.center.lat + ", " + target.center.lng;
    if (target.type === "polygon") return "A drawn shape";
    if (target.type === "areas") return "Areas: " + target.area_ids.join(", ");
    return "The whole force";
  }

  function actionButton(text, kind, handler) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    if (kind) button.className = kind;
    button.addEventListener("click", handler);
    $("alert-actions").appendChild(button);
  }

  function act(alertId, action, body) {
    call("POST", "/v1/alerts/" + alertId + "/" + action, body || {}).then(function (result) {
      if (!result.ok) { failed($("reject-form").hidden ? null : $("reject-form"), result); return; }
      $("reject-form").hidden = true;
      say("success", { send: "Sent for delivery.", approve: "Approved: it is going out.", reject: "Rejected.",
        cancel: "Cancelled: nothing more will be sent." }[action] + " Status: " + label(result.data.status) + ".");
      renderAlert(alertId);
    });
  }

  function showAlert(alertId) {
    show("alert");
    state.viewing = alertId;
    quiet();
    if (state.flash) { say(state.flash.kind, state.flash.text); state.flash = null; }
    $("reject-form").hidden = true;
    renderAlert(alertId, true);
  }

  var alertMap = null;

  function renderAlert(alertId, first) {
    call("GET", "/v1/alerts/" + alertId).then(function (result) {
      if (state.viewing !== alertId) return;
      if (!result.ok) { failed(null, result); return; }
      var alert = result.data;
      $("alert-title-heading").textContent = alert.title;
      var status = $("alert-status");
      status.textContent = label(alert.status);
      status.setAttribute("data-status", alert.status);
      var actions = $("alert-actions");
      actions.textContent = "";
      var me = state.me || {};
      var approver = APPROVER_ROLES.indexOf(me.role) >= 0;
      if (alert.status === "draft") actionButton("Send", "", function () { act(alertId, "send"); });
      var due = alert.send_at && new Date(alert.send_at).getTime() <= Date.now();
      var mine = alert.source && alert.source.user === me.sub;
      if (["draft", "pending_approval", "scheduled"].indexOf(alert.status) >= 0 && !due &&
          alert.source && alert.source.kind === "officer" && (mine || approver)) {
        actionButton(alert.status === "scheduled" ? "Change or reschedule" : "Change", "secondary", function () {
          global.location.hash = "#/alerts/" + alertId + "/edit";
        });
      }
      if (alert.status === "pending_approval" && approver) {
        actionButton("Approve and send", "", function () { act(alertId, "approve"); });
        actionButton("Reject", "warning", function () { $("reject-form").hidden = false; $("reject-reason").focus(); });
      }
      if (["draft", "pending_approval", "scheduled", "sending", "paused"].indexOf(alert.status) >= 0) {
        actionButton("Cancel alert", "secondary", function () { act(alertId, "cancel"); });
      }
      var facts = $("alert-facts");
      facts.textContent = "";
      fact(facts, "Message", alert.body);
      fact(facts, "Incident reference", alert.incident_ref);
      fact(facts, "Category", alert.category);
      fact(facts, "Priority", alert.priority);
      fact(facts, "Channels", (alert.channels || []).join(", "));
      fact(facts, "Who receives it", targetText(alert.target));
      fact(facts, "Audience", alert.audience ? Object.keys(alert.audience.by_channel || {}).map(function (ch) {
        return ch + ": " + alert.audience.by_channel[ch];
      }).join(", ") : "");
      fact(facts, "Already reached by an earlier copy", alert.already_reached ? String(alert.already_reached) : "");
      fact(facts, "Send at", alert.send_at ? ukTime(alert.send_at) : "");
      fact(facts, "Created", ukTime(alert.created_at));
      if (alert.moderation && alert.moderation.reason) fact(facts, "Rejected because", alert.moderation.reason);
      renderProgress(alert);
      renderAudit(alert.audit || []);
      if (first) {
        renderReplies(alertId);
        if (!alertMap && global.HexMap && global.L) alertMap = global.HexMap.create($("alert-map"), { label: "Map of who receives the alert" });
        if (alertMap) {
          alertMap.clearShape();
          if (alert.target.type === "circle") alertMap.setCircle(alert.target.center.lat, alert.target.center.lng, alert.target.radius_m, true);
          else if (alert.target.type === "polygon") alertMap.showGeometry(alert.target.geometry);
          else areas().then(function (list) {
            // Named areas or the whole force: those areas (or the boundary) are the target.
            var wanted = alert.target.type === "areas" ? alert.target.area_ids : ["boundary"];
            var shapes = list.filter(function (a) { return wanted.indexOf(a.id) >= 0; });
            if (shapes.length) alertMap.showGeometry({ type: "GeometryCollection", geometries: shapes.map(function (a) { return a.geometry; }) });
          });
        }
      }
      if (LIVE_STATUSES.indexOf(alert.status) >= 0 || queued(alert)) {
        state.refreshTimer = global.setTimeout(function () { renderAlert(alertId, false); }, REFRESH_MS);
      }
    });
  }

  function queued(alert) {
    var progress = alert.progress || {};
    return Object.keys(progress).some(function (channel) { return progress[channel].queued > 0; });
  }

  function renderProgress(alert) {
    var body = $("progress-table").querySelector("tbody");
    body.textContent = "";
    var progress = alert.progress || {};
    Object.keys(progress).forEach(function (channel) {
      var row = document.createElement("tr");
      row.setAttribute("data-channel", channel);
      var head = document.createElement("th");
      head.scope = "row"; head.textContent = channel;
      row.appendChild(head);
      ["queued", "sent", "delivered", "failed", "unconfirmed", "suppressed"].forEach(function (name) {
        var cell = document.createElement("td");
        cell.setAttribute("data-count", name);
        cell.textContent = String(progress[channel][name] || 0);
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  function renderAudit(entries) {
    var list = $("alert-audit");
    list.textContent = "";
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      item.textContent = ukTime(entry.at) + ": " + entry.action + " by " + (entry.actor_role || "") +
        (entry.status ? " (now " + label(entry.status) + ")" : "") + (entry.detail ? ": " + entry.detail : "");
      list.appendChild(item);
    });
  }

  function renderReplies(alertId) {
    call("GET", "/v1/alerts/" + alertId + "/replies").then(function (result) {
      var list = $("alert-replies");
      list.textContent = "";
      var replies = result.ok ? (result.data.replies || []) : [];
      if (!replies.length) {
        var none = document.createElement("li");
        none.textContent = result.ok ? "No replies yet." : "Replies cannot be shown to your role.";
        list.appendChild(none);
      }
      replies.forEach(function (reply) {
        var item = document.createElement("li");
        item.textContent = ukTime(reply.received_at) + " (" + reply.channel + "): " + (reply.text || "");
        list.appendChild(item);
      });
    });
  }

  H.ready(function () {
    summary = $("error-summary");
    statusPanel = $("console-status");
    wireSignIn();
    $("filter-form").addEventListener("submit", function (event) { event.preventDefault(); loadAlerts(false); });
    $("alerts-more").addEventListener("click", function () { loadAlerts(true); });
    $("reject-form").addEventListener("submit", function (event) {
      event.preventDefault();
      act(state.viewing, "reject", { reason: $("reject-reason").value.trim() });
    });
    global.addEventListener("hashchange", route);
    global.ConsoleApp = { call: call, say: say, flash: flash, failed: failed, areas: areas, summary: function () { return summary; } };
    showSignIn();
  });
})(window);
