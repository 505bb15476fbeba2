/* /api/docs: Swagger UI over the app's own /openapi.json (vendored, no validator badge, nothing remote). */
(function start() {
  const node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ // eslint-disable-line no-undef
    url: node.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], // eslint-disable-line no-undef
    plugins: [SwaggerUIBundle.plugins.DownloadUrl], // eslint-disable-line no-undef
    layout: "StandaloneLayout",
  });
}());
