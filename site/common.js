/*
 * What every resident page shares: calling the API (same origin, relative /v1/ URLs), the session kept in
 * sessionStorage, loading the JSON Schemas, and showing errors GOV.UK-style (a summary linked to each field, and the
 * message next to the field). Pages mark their fields with data-pointer="<JSON pointer>" so that an error from the
 * validator or from the API lands on the right field.
 */
(function (global) {
  "use strict";

  var config = global.HEXWATCH_CONFIG || {};
  var apiBase = (config.apiBase || "").replace(/\/$/, "");
  var schemasBase = config.schemasBase || "/schemas/";
  var SESSION_KEY = "hexwatch.session";

  var session = {
    get: function () {
      try { return global.sessionStorage.getItem(SESSION_KEY); } catch (e) { return null; }
    },
    set: function (token) {
      try { global.sessionStorage.setItem(SESSION_KEY, token); } catch (e) { /* private mode: signed in for this page only */ }
    },
    clear: function () {
      try { global.sessionStorage.removeItem(SESSION_KEY); } catch (e) { /* nothing to clear */ }
    }
  };

  /** fetch() with JSON in and out. Resolves to {status, ok, data, response}; rejects only when the network fails. */
  function api(method, path, body, options) {
    options = options || {};
    var headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (options.token) {
      headers["Authorization"] = "Bearer " + options.token;  // the officer console's token, held in memory
    } else if (options.auth) {
      var token = session.get();
      if (token) headers["Authorization"] = "Bearer " + token;
    }
    return global.fetch(apiBase + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      var parse = type.indexOf("json") >= 0 ? response.json().catch(function () { return null; })
        : response.text().then(function () { return null; });
      return parse.then(function (data) {
        return { status: response.status, ok: response.ok, data: data, response: response };
      });
    });
  }

  var schemaCache = {};
  function fetchSchema(name) {
    if (!schemaCache[name]) {
      schemaCache[name] = global.fetch(schemasBase + name, { cache: "no-cache" }).then(function (response) {
        if (!response.ok) throw new Error("could not load " + name + " (" + response.status + ")");
        return response.json();
      });
    }
    return schemaCache[name];
  }

  /** A validator that knows the named schemas and defs.json, and the definitions from defs.json. */
  function loadValidator(names) {
    var all = names.slice();
    if (all.indexOf("defs.json") < 0) all.push("defs.json");
    return Promise.all(all.map(fetchSchema)).then(function (docs) {
      return { validator: new global.HexwatchSchema.Validator(docs), defs: docs[all.indexOf("defs.json")].$defs };
    });
  }

  function params() {
    return new URLSearchParams(global.location.search);
  }

  // --- error display

  function groupFor(form, pointer) {
    var p = pointer;
    while (true) {
      var found = form.querySelector('[data-pointer="' + p.replace(/"/g, '\\"') + '"]');
      if (found) return found;
      if (!p) return null;
      p = p.slice(0, p.lastIndexOf("/"));
    }
  }

  function focusTarget(group) {
    return group.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
  }

  function clearErrors(form, summary) {
    Array.prototype.forEach.call(form.querySelectorAll(".error-message[data-generated]"), function (el) {
      el.parentNode.removeChild(el);
    });
    Array.prototype.forEach.call(form.querySelectorAll(".form-group--error"), function (el) {
      el.classList.remove("form-group--error");
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
      removeDescribedBy(el, "-error");
    });
    if (summary) {
      summary.hidden = true;
      summary.querySelector("ul").innerHTML = "";
    }
  }

  function removeDescribedBy(el, suffix) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id.slice(-suffix.length) !== suffix;
    });
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
  }

  function addDescribedBy(el, id) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) ids.push(id);
    el.setAttribute("aria-describedby", ids.join(" "));
  }

  var groupCounter = 0;

  /**
   * Shows `errors` ([{pointer, message}], messages already written for people) next to their fields and in the
   * summary, then moves focus to the summary. Errors whose field is not on the page go in the summary only.
   */
  function showErrors(form, summary, errors) {
    clearErrors(form, summary);
    var list = summary.querySelector("ul");
    var byGroup = [];
    errors.forEach(function (error) {
      var group = groupFor(form, error.pointer) || null;
      var entry = null;
      for (var i = 0; i < byGroup.length; i++) if (byGroup[i].group === group && group) entry = byGroup[i];
      if (!entry) { entry = { group: group, messages: [] }; byGroup.push(entry); }
      if (entry.messages.indexOf(error.message) < 0) entry.messages.push(error.message);
    });
    byGroup.forEach(function (entry) {
      var group = entry.group;
      var text = entry.messages.join(". ");
      var item = document.createElement("li");
      if (group) {
        if (!group.id) group.id = "group-" + (++groupCounter);
        var errorId = group.id + "-error";
        var message = document.createElement("p");
        message.className = "error-message";
        message.id = errorId;
        message.setAttribute("data-generated", "");
        message.innerHTML = '<span class="visually-hidden">Error: </span>';
        message.appendChild(document.createTextNode(text));
        var anchor = group.querySelector(":scope > .hint") || group.querySelector(":scope > legend")
          || group.querySelector(":scope > label");
        if (anchor) anchor.insertAdjacentElement("afterend", message); else group.insertBefore(message, group.firstChild);
        group.classList.add("form-group--error");
        var controls = group.tagName === "FIELDSET" ? [group] : [];
        Array.prototype.forEach.call(group.querySelectorAll("input:not([type=hidden]), select, textarea"), function (el) {
          if (group.tagName !== "FIELDSET" || el.type !== "checkbox") controls.push(el);
        });
        controls.forEach(function (el) {
          if (el !== group) el.setAttribute("aria-invalid", "true");
          addDescribedBy(el, errorId);
        });
        var target = focusTarget(group);
        var link = document.createElement("a");
        link.textContent = text;
        if (target && target.id) {
          link.href = "#" + target.id;
          link.addEventListener("click", function (event) {
            event.preventDefault();
            openDetailsAround(target);
            target.focus();
            target.scrollIntoView({ block: "center" });
          });
        } else {
          link.href = "#" + group.id;
        }
        openDetailsAround(group);
        item.appendChild(link);
      } else {
        item.textContent = text;
      }
      list.appendChild(item);
    });
    summary.hidden = false;
    summary.focus();
    summary.scrollIntoView({ block: "start" });
  }

  function openDetailsAround(el) {
    for (var node = el; node; node = node.parentElement) if (node.tagName === "DETAILS") node.open = true;
  }

  /** The API's error body as [{pointer, message}] (the message alone when it names no field). */
  function apiErrors(result) {
    var data = result.data || {};
    var errors = (data.errors || []).map(function (e) { return { pointer: e.pointer || "", message: e.message, server: true }; });
    if (!errors.length) {
      errors.push({ pointer: "", message: data.message || ("Something went wrong (" + result.status + "). Please try again.") });
    }
    return errors;
  }

  function showPanel(el, kind, text) {
    el.className = "panel" + (kind ? " panel--" + kind : "");
    el.textContent = text;
    el.hidden = false;
  }

  function checkedValues(root, name) {
    return Array.prototype.map.call(root.querySelectorAll('input[name="' + name + '"]:checked'), function (el) {
      return el.value;
    });
  }

  /** The text of an input as a number when it is one, or as the text itself so that the schema reports it. */
  function numberOrText(text) {
    var trimmed = text.trim();
    if (trimmed === "") return undefined;
    var n = Number(trimmed);
    return isFinite(n) ? n : trimmed;
  }

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn); else fn();
  }

  ready(function () {
    document.documentElement.classList.add("js");
    Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
    Array.prototype.forEach.call(document.querySelectorAll(".no-js-only"), function (el) { el.hidden = true; });
  });

  global.Hexwatch = {
    api: api,
    session: session,
    loadValidator: loadValidator,
    params: params,
    showErrors: showErrors,
    clearErrors: clearErrors,
    apiErrors: apiErrors,
    showPanel: showPanel,
    checkedValues: checkedValues,
    numberOrText: numberOrText,
    ready: ready
  };
})(window);
