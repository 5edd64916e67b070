#!/usr/bin/env node
// The installed command runs the compiled CLI (npm ci builds it through `prepare`).
// DuckDB's allocator reads its options when DuckDB loads, so they are set first and the
// CLI, which loads DuckDB, is imported after (src/cli/duckdb-allocator.ts).
import { boundDuckDBAllocator } from '../dist/src/cli/duckdb-allocator.js';

boundDuckDBAllocator(process.argv.slice(2), process.env);
const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
