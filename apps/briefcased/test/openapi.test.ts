import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generateOpenApi } from '../src/openapi-doc.js';

it('the committed OpenAPI document matches the routes (run `npm run openapi` to update it)', async () => {
  const committed = JSON.parse(
    readFileSync(new URL('../../../openapi/briefcased.json', import.meta.url), 'utf8'),
  );
  const generated = await generateOpenApi();
  expect(committed).toEqual(JSON.parse(JSON.stringify(generated)));
  expect((generated as { openapi: string }).openapi).toBe('3.1.0');
});
