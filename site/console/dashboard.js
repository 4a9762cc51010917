/*
 * The console's dashboard view: GET /v1/stats as tables, and the same figures as a CSV download. Figures under 5
 * arrive from the API as "fewer than 5" and are shown as they are: the page never sees the hidden numbers.
 */
(function (global) {
  "use strict";

  var LABELS = {
    channel: { email: "Email", sms: "Text message", voice: "Voice call", push: "App notification" },
    contact: { email: "Email addresses", mobile: "Mobile numbers", landline: "Landlines" }
  };

  function $(id) { return document.getElementById(id); }

  function table(caption, head, rows, id) {
    var element = document.createElement("table");
    element.className = "table";
    if (id) element.id = id;
    var cap = document.createElement("caption");
    cap.className = "table-caption";
    cap.textContent = caption;
    element.appendChild(cap);
    var thead = document.createElement("thead");
    var headRow = document.createElement("tr");
    head.forEach(function (text) {
      var th = document.createElement("th");
      th.scope = "col"; th.textContent = text;
      headRow.appendChild(th);
    });
    thead.appendChild(headRow);
    element.appendChild(thead);
    var body = document.createElement("tbody");
    rows.forEach(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (text, index) {
        var cell = document.createElement(index === 0 ? "th" : "td");
        if (index === 0) cell.scope = "row";
        cell.textContent = text === null || text === undefined ? "" : String(text);
        tr.appendChild(cell);
      });
      tr.setAttribute("data-key", String(cells[0]));
      body.appendChild(tr);
    });
    element.appendChild(body);
    return element;
  }

  function breakdown(caption, counts, labels, id, names) {
    var keys = Object.keys(counts || {});
    var rows = keys.map(function (key) { return [(names && names[key]) || (labels && labels[key]) || key, counts[key]]; });
    if (!rows.length) rows.push(["None yet", 0]);
    return table(caption, ["", "Members"], rows, id);
  }

  function percent(rate) { return rate === null || rate === undefined ? "not shown" : Math.round(rate * 1000) / 10 + "%"; }

  function render(view) {
    var root = $("dashboard-body");
    root.textContent = "";
    var intro = document.createElement("p");
    intro.textContent = "Figures under 5 read \"fewer than 5\", and where that would leave one hidden figure in a table a " +
      "second is hidden too, so that none can be worked out from the others.";
    root.appendChild(intro);
    var members = view.members || {};
    if (members.all !== undefined) {
      var total = document.createElement("p");
      total.className = "lead";
      total.id = "dashboard-members";
      total.textContent = "Members: " + members.all;
      root.appendChild(total);
    }
    var heading = document.createElement("h2");
    heading.textContent = "Members";
    root.appendChild(heading);
    root.appendChild(breakdown("Members by area", members.by_area, null, "stats-area", view.area_names));
    if (members.by_channel) {
      root.appendChild(breakdown("Members by channel", members.by_channel, LABELS.channel, "stats-channel"));
      root.appendChild(breakdown("Members by category", members.by_category, null, "stats-category"));
      root.appendChild(breakdown("Members by watch scheme", members.by_group, null, "stats-group"));
      root.appendChild(breakdown("Verified contacts", view.verified_contacts, LABELS.contact, "stats-contacts"));
    }
    if (view.weekly) {
      var weekly = document.createElement("h2");
      weekly.textContent = "Week by week";
      root.appendChild(weekly);
      root.appendChild(table("Residents joining and leaving", ["Week", "Joined", "Left"],
        view.weekly.map(function (row) { return [row.week, row.joined, row.left]; }), "stats-weekly"));
      var alertRows = [];
      (view.alerts || []).forEach(function (row) {
        var channels = Object.keys(row.channels);
        if (!channels.length) alertRows.push([row.week, row.alerts_sent, "", "", "", ""]);
        channels.forEach(function (channel, index) {
          var c = row.channels[channel];
          alertRows.push([index === 0 ? row.week : row.week + " (continued)", index === 0 ? row.alerts_sent : "",
            LABELS.channel[channel] || channel, c.reached, percent(c.delivery_rate), percent(c.bounce_rate)]);
        });
      });
      root.appendChild(table("Alerts sent and recipients reached",
        ["Week", "Alerts sent", "Channel", "Recipients", "Delivered", "Bounced"], alertRows, "stats-alerts"));
      root.appendChild(table("Replies and survey answers", ["Week", "Replies", "Survey answers"],
        (view.alerts || []).map(function (row) { return [row.week, row.replies, row.survey_answers]; }),
        "stats-conversations"));
      if (view.alerts_note) {
        var note = document.createElement("p");
        note.textContent = view.alerts_note;
        root.appendChild(note);
      }
    }
    var download = document.createElement("button");
    download.type = "button";
    download.className = "secondary";
    download.id = "stats-csv";
    download.textContent = "Download these figures (CSV)";
    download.addEventListener("click", downloadCsv);
    root.appendChild(download);
  }

  var call = null;

  function downloadCsv() {
    global.ConsoleAuth.idToken().then(function (token) {
      return global.fetch("/v1/stats?format=csv", { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.blob();
    }).then(function (blob) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "hexwatch-stats.csv";
      document.body.appendChild(link);
      link.click();
      global.setTimeout(function () { URL.revokeObjectURL(link.href); link.parentNode.removeChild(link); }, 1000);
    }).catch(function () {
      global.ConsoleApp.say("warning", "The download did not work. Try again.");
    });
  }

  function open(caller) {
    call = caller;
    $("dashboard-body").textContent = "Loading...";
    call("GET", "/v1/stats").then(function (result) {
      if (!result.ok) { $("dashboard-body").textContent = ""; global.ConsoleApp.failed(null, result); return; }
      render(result.data);
    });
  }

  global.ConsoleDashboard = { open: open };
})(window);
