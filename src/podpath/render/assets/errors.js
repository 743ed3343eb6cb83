/* Collect script errors, console errors and blocked requests into #podpath-errors (and mark
   <html data-errors>) so that a headless check can see them. */
(function () {
  "use strict";
  var pending = [];
  function flush() {
    var box = document.getElementById("podpath-errors");
    if (box && pending.length) { box.textContent += pending.join("\n") + "\n"; pending = []; }
  }
  function report(text) {
    pending.push(text);
    document.documentElement.setAttribute("data-errors", "1");
    flush();
  }
  window.addEventListener("error", function (ev) { report("error: " + ev.message); });
  window.addEventListener("securitypolicyviolation", function (ev) { report("blocked: " + ev.blockedURI); });
  document.addEventListener("DOMContentLoaded", flush);
  var original = console.error;
  console.error = function () {
    report("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
