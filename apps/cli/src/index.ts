export type { RunState } from './action.js';
export { buildProgram, runCli } from './cli.js';
export { EXIT, reportError, UsageError } from './errors.js';
export { type Io, processIo } from './io.js';
export { formatTable, inlineSafe, shellQuote, terminalSafe } from './output.js';
export { parseArgsJson, parseCap } from './parse.js';
