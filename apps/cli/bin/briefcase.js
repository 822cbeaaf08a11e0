#!/usr/bin/env node
// A committed launcher: npm links workspace bins at install time, before the TypeScript build
// exists, and skips a bin whose file is missing. This file is always there; the build is loaded here.
import('../dist/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    console.error(
      'briefcase is not built yet: run `npm run build` (or `npm start`) at the repository root first.',
    );
    process.exit(1);
  }
  throw error;
});
