/* "Check your email": says where the link went and how each place was understood (a postcode is approximate). */
(function () {
  "use strict";
  var H = window.Hexwatch;
  H.ready(function () {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem("hexwatch.signup") || "null"); } catch (e) { saved = null; }
    if (!saved) return;
    var message = document.getElementById("sent-message");
    if (saved.email && saved.phone) {
      message.textContent = "We have sent a link to " + saved.email + " and a code to " + saved.phone
        + ". Use either to confirm your details.";
    } else if (saved.email) {
      message.textContent = "We have sent a link to " + saved.email + ". Open it to confirm your email address.";
    } else if (saved.phone) {
      message.textContent = "We have texted a code to " + saved.phone + ". Enter it to confirm your mobile number.";
    }
    if (saved.landline) {
      message.textContent = (saved.email || saved.phone ? message.textContent + " " : "")
        + "We are calling " + saved.landline + " now: the call reads a 6-digit code twice. Enter it on the "
        + "confirm page, under \u201cConfirm a landline\u201d.";
    }
    var locations = (saved.answer && saved.answer.locations) || [];
    if (locations.length) {
      var list = document.getElementById("sent-locations-list");
      locations.forEach(function (location) {
        var item = document.createElement("li");
        var text = location.label + ": " + Number(location.lat).toFixed(4) + ", " + Number(location.lng).toFixed(4);
        if (location.approximate) text += " (approximate" + (location.note ? ": " + location.note : "") + ")";
        item.textContent = text;
        list.appendChild(item);
      });
      document.getElementById("sent-locations").hidden = false;
    }
  });
})();
