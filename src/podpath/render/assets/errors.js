/* Collect script errors into #podpath-errors so that a headless check can see them. */
(function () {
  "use strict";
  function report(text) {
    var box = document.getElementById("podpath-errors");
    if (box) { box.textContent += text + "\n"; }
    document.documentElement.setAttribute("data-errors", "1");
  }
  window.addEventListener("error", function (ev) { report("error: " + ev.message); });
  window.addEventListener("securitypolicyviolation", function (ev) { report("blocked: " + ev.blockedURI); });
  var original = console.error;
  console.error = function () {
    report("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
