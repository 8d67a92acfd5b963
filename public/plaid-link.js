// Opens Plaid Link for buttons marked data-plaid-link: "" for a new connection, an
// item id for update mode ("Fix connection"). Loads Link's script on first use (its URL
// is on the button: Plaid's CDN in production, the local fake in tests), asks the server
// for a link token, and hands Link's result back to the server. When a connection
// changes it fires `manna:connections-changed` so the page reloads its data.
(function () {
  "use strict";

  function message(body, status) {
    if (typeof body === "string" && body) {
      if (body === "Unauthorized") return "Please sign in again.";
      if (body === "NotFound") return "That connection no longer exists.";
      return body;
    }
    if (body && typeof body === "object") {
      var values = Object.keys(body).map(function (k) { return body[k]; });
      if (typeof values[0] === "string") return values[0];
    }
    return "The request failed (" + status + ").";
  }

  async function call(endpoint, form) {
    var response = await fetch("/api/" + endpoint, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
      credentials: "same-origin",
    });
    var text = await response.text();
    var body;
    try { body = JSON.parse(text); } catch (_) { body = text; }
    if (!response.ok) throw new Error(message(body, response.status));
    return body;
  }

  var loading = null;
  function loadLink(url) {
    if (window.Plaid && typeof window.Plaid.create === "function") return Promise.resolve();
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onload = function () { resolve(); };
      s.onerror = function () {
        loading = null;
        reject(new Error("Plaid Link could not be loaded. Check your connection and try again."));
      };
      document.head.appendChild(s);
    });
    return loading;
  }

  function say(text, isError) {
    var el = document.querySelector("[data-link-status]");
    if (!el) return;
    el.textContent = text || "";
    el.classList.toggle("form-error", !!isError);
    el.setAttribute("role", isError ? "alert" : "status");
  }

  function changed() {
    window.dispatchEvent(new CustomEvent("manna:connections-changed"));
  }

  async function open(button) {
    var item = button.getAttribute("data-plaid-link") || "";
    var script = button.getAttribute("data-link-script");
    button.disabled = true;
    say(item ? "Opening Link to reconnect…" : "Opening Link…");
    try {
      var token = await call("create_link_token", { item: item });
      await loadLink(script);
      var handler = window.Plaid.create({
        token: token,
        onSuccess: async function (publicToken, metadata) {
          say("Connecting…");
          try {
            if (item) {
              await call("connection_repaired", { item: item });
              say("Reconnected. Syncing your transactions…");
            } else {
              await call("link_bank", { public_token: publicToken });
              var name = metadata && metadata.institution ? metadata.institution.name : "your bank";
              say("Connected " + name + ". Importing your transactions…");
            }
            changed();
          } catch (e) {
            say(e.message, true);
          } finally {
            button.disabled = false;
          }
        },
        onExit: function (err) {
          button.disabled = false;
          if (err) {
            say(err.display_message || err.error_message || "Link closed with an error.", true);
          } else {
            say("");
          }
        },
      });
      handler.open();
    } catch (e) {
      button.disabled = false;
      say(e.message, true);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-plaid-link]") : null;
    if (!button) return;
    event.preventDefault();
    open(button);
  });
})();
