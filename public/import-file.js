// Reads the statement file chosen on the Import page in the browser and hands it to the
// page's forms: on submit, every field marked data-import-content gets the file
// (base64) and data-import-name its name. Choosing a file starts the preview.
(function () {
  "use strict";
  var MAX = 16 * 1024 * 1024;
  var chosen = null;

  function say(text, isError) {
    var el = document.querySelector("[data-import-status]");
    if (!el) return;
    el.textContent = text || "";
    el.classList.toggle("form-error", !!isError);
    el.setAttribute("role", isError ? "alert" : "status");
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-import-file]")) return;
    var file = input.files && input.files[0];
    chosen = null;
    if (!file) return;
    if (file.size > MAX) {
      say("This file is " + (file.size / 1048576).toFixed(1) + " MB; Manna reads statement files up to 16 MB. Export a shorter date range.", true);
      input.value = "";
      return;
    }
    if (file.size === 0) {
      say("This file is empty.", true);
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      var url = String(reader.result);
      chosen = { name: file.name, content: url.slice(url.indexOf(",") + 1) };
      say("Read " + file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB).");
      if (input.form && input.form.requestSubmit) input.form.requestSubmit();
    };
    reader.onerror = function () { say("The file could not be read.", true); };
    reader.readAsDataURL(file);
  });

  // Capture phase: runs before the page's own submit handler reads the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var content = form.querySelector && form.querySelector("input[data-import-content]");
    if (!content) return;
    if (!chosen) {
      event.preventDefault();
      event.stopImmediatePropagation();
      say("Choose a statement file first.", true);
      return;
    }
    content.value = chosen.content;
    var name = form.querySelector("input[data-import-name]");
    if (name) name.value = chosen.name;
  }, true);
})();
