// What the bin (main.ts) takes from the compiled bundle, dist/cli/rewind.cjs: the CLI itself, and
// the warm-up that `REWIND_CODE_CACHE=write` runs before it saves V8's code cache.
export { runCli } from './run-cli.js';
export { warmUpCommands } from './code-cache-warm-up.js';
