/**
 * Prints the OpenAPI 3.1 document generated from the routes. `npm run openapi` writes it to
 * openapi/briefcased.json; a test fails when the committed file drifts from the code.
 */
import { generateOpenApi } from './openapi-doc.js';

process.stdout.write(`${JSON.stringify(await generateOpenApi(), null, 2)}\n`);
