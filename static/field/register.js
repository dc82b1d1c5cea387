// Registers the field app's service worker (issue 23) with /terrain/ as its scope.
// Loaded as a module by templates/field/app.html; no inline script (strict CSP).
const container = document.getElementById("field-app");

if ("serviceWorker" in navigator && container) {
  const url = container.dataset.serviceWorkerUrl;
  const scope = container.dataset.scope;
  navigator.serviceWorker.register(url, { scope, type: "classic", updateViaCache: "none" }).catch((error) => {
    // Without a service worker the page still works on a connection; say why in the console only.
    console.warn("CARE+ field: service worker not registered", error);
  });
}
