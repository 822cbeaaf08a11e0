#!/usr/bin/env node
import { runGatewayCli } from './cli.js';

// `node apps/gateway/dist/main.js --stdio | --http HOST:PORT [--print-config]`; see --help.
process.exitCode = await runGatewayCli(process.argv.slice(2));
