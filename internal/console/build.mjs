// Builds the console into dist/ (embedded by console.go). Run by
// `go generate ./internal/console` (generate.go) after `npm ci`; the output
// is committed and CI checks it is current, as for ent and gqlgen.
//
// One entry (src/main.tsx) split into chunks: the graph (Cytoscape.js with
// dagre) and the charts (uPlot) load only on the pages that draw them.
// File names carry a content hash, so the server can cache them forever;
// index.html names the entry and is never cached.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { basename } from "node:path";

const out = "dist";
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });

const result = await esbuild.build({
  entryPoints: ["src/main.tsx"],
  bundle: true,
  splitting: true,
  format: "esm",
  target: ["chrome110", "firefox110", "safari16"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  outdir: `${out}/assets`,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  jsx: "automatic",
  jsxImportSource: "preact",
  loader: { ".graphql": "text" },
  metafile: true,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

let js = "", css = "";
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint === "src/main.tsx") {
    js = basename(file);
    if (meta.cssBundle) css = basename(meta.cssBundle);
  }
}
if (!js) throw new Error("build.mjs: no entry output");

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Cairn</title>
<link rel="icon" href="data:,">
${css ? `<link rel="stylesheet" href="/assets/${css}">\n` : ""}<script type="module" src="/assets/${js}"></script>
</head>
<body>
<div id="app"><noscript>The Cairn console needs JavaScript; the API is at /graphql and GraphiQL at /graphiql.</noscript></div>
</body>
</html>
`;
writeFileSync(`${out}/index.html`, html);

// A size report, so that the weight of what a page loads is in review.
const sizes = Object.fromEntries(
  Object.entries(result.metafile.outputs)
    .map(([f, m]) => [basename(f), m.bytes])
    .sort(([a], [b]) => a.localeCompare(b)),
);
writeFileSync(`${out}/sizes.json`, JSON.stringify({ entry: js, css, bytes: sizes }, null, 2) + "\n");
const digest = createHash("sha256").update(readFileSync(`${out}/index.html`)).digest("hex").slice(0, 12);
console.log(`console built: ${js} ${css} (index ${digest})`);
