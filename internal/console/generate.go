package console

// The console's assets are built from src/ with esbuild (build.mjs) into
// dist/, which is committed and embedded. `npm ci` installs the pinned
// packages of package-lock.json first; node and npm come from the machine.
//go:generate npm ci --no-audit --no-fund --loglevel=error
//go:generate npm run --silent build
