// Cairn GraphiQL bootstrap. Served from /graphiql/assets/init.js so that the
// page's Content-Security-Policy can be script-src 'self' (no inline script).
// Configuration comes from data-* attributes on #graphiql, which the Go
// handler fills in with html/template (auto-escaped).
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var endpoint = root.getAttribute('data-endpoint') || '/graphql';
  var defaultQuery = root.getAttribute('data-default-query') || '';

  var fetcher = GraphiQL.createFetcher({ url: endpoint });

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      // Lets a user paste {"Authorization": "Bearer ..."} in the Headers tab.
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      // Open the bottom pane on the Headers tab.
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
