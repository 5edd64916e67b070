// Runs the CLI from the TypeScript sources (the tests never depend on a stale dist/).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
