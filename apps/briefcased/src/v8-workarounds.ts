import { setFlagsFromString } from 'node:v8';

/**
 * Node 20's V8 (11.3) can abort the whole process under sustained load with
 * `Fatal error ... unreachable code` in `Deoptimizer::DoComputeBuiltinContinuation`, when TurboFan
 * has inlined a JS→Wasm call (every policy decision calls Cedar's Wasm) and that code deoptimizes.
 * `npm run bench` reproduced it in most runs of the MCP benchmark; with this inlining off it did not
 * happen in any run, at no measurable cost (the Wasm call itself is unchanged).
 *
 * The flag is read when TurboFan compiles, so setting it before the first hot call is enough; it is
 * imported first by the daemon. Remove it when the project moves to a Node with a newer V8.
 */
setFlagsFromString('--no-turbo-inline-js-wasm-calls');
