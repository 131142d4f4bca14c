// PostGraphile 5 over Cairn's own PostgreSQL tables: the baseline of
// internal/bench's BenchmarkVersusPostGraphile. Production settings: the
// Amber preset, no GraphiQL, no watch mode, no explain, errors masked.
//
// Environment:
//   DATABASE_URL       the PostgreSQL DSN Cairn serves (required)
//   PORT               the loopback port to listen on (required)
//   PG_POOL_SIZE       the pg pool's size (default 10, pg's own default)
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  throw new Error("DATABASE_URL is not set");
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      // Cairn's tables, and the benchmark's dependents() function, which
      // the Go harness creates in a schema of its own.
      schemas: ["public", "postgraphile_bench"],
      poolConfig: { max: Number(process.env.PG_POOL_SIZE || 10) },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT),
    graphqlPath: "/graphql",
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
    websockets: false,
  },
  grafast: { explain: false },
};

export default preset;
