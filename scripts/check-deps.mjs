#!/usr/bin/env node
/**
 * Checks that the workspaces say what they use, so a package builds and installs on its own and not
 * only because of the order of the root tsconfig or npm's hoisting:
 *
 * 1. every package imported by a workspace's src/, test/ or bin/ files (type-only imports, re-exports,
 *    `import()` and `require()` included) is declared in that workspace's package.json; node:
 *    built-ins and the workspace's own name excepted, and test files may also use the root's
 *    devDependencies (the shared test toolchain: vitest, fast-check);
 * 2. src/ and bin/ value imports come from `dependencies`, not only `devDependencies` (an install
 *    of the package alone would lack them);
 * 3. `@briefcase/*` packages are imported by their bare name only (their one entry is src/index.ts);
 * 4. the workspaces' dependencies on each other have no cycle;
 * 5. each workspace's tsconfig.json `references` are exactly its `@briefcase/*` dependencies, and
 *    the root tsconfig.json references every workspace (that is how `tsc -b` orders the build).
 *
 * Prints one line per problem, with the file and line and what to change, and exits 1 if any.
 * Reads files only; run it from anywhere: `node scripts/check-deps.mjs`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCOPE = '@briefcase/';
const SOURCE_DIRS = ['src', 'test', 'bin'];
const SOURCE_FILE = /\.(?:[cm]?ts|[cm]?js)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

const problems = [];
const report = (where, message) => problems.push(`${where}: ${message}`);

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const rel = (path) => relative(ROOT, path) || '.';

/** The workspace folders named by the root package.json, expanding a trailing `/*`. */
function workspaceDirs(patterns) {
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [join(ROOT, pattern)];
    const parent = join(ROOT, pattern.slice(0, -2));
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json')))
      .map((entry) => join(parent, entry.name));
  });
}

function* sourceFiles(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* sourceFiles(path);
    } else if (SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

/** `@scope/name/deep` -> `@scope/name`, `name/deep` -> `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** True when the import at `pos` is `import type` / `export type` (erased, so a devDependency will do). */
function isTypeOnly(text, pos) {
  // The statement holding `pos` starts after the previous `;` or at the last line starting a declaration.
  const statementStart = Math.max(
    text.lastIndexOf(';', pos),
    text.lastIndexOf('\nimport', pos),
    text.lastIndexOf('\nexport', pos),
  );
  return /^\s*(?:import|export)\s+type\b/.test(text.slice(statementStart + 1, pos));
}

/** Every module specifier in `file`, with its line and whether it is type-only. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName, pos }) => ({
    specifier: fileName,
    line: text.slice(0, pos).split('\n').length,
    typeOnly:
      isTypeOnly(text, pos) || /typeof\s+import\s*\(\s*$/.test(text.slice(Math.max(0, pos - 40), pos)),
  }));
}

const rootPackage = readJson(join(ROOT, 'package.json'));
const rootDevDependencies = new Set(Object.keys(rootPackage.devDependencies ?? {}));

const workspaces = workspaceDirs(rootPackage.workspaces ?? []).map((dir) => {
  const pkg = readJson(join(dir, 'package.json'));
  const declared = Object.fromEntries(
    DEPENDENCY_FIELDS.map((field) => [field, new Set(Object.keys(pkg[field] ?? {}))]),
  );
  return { dir, name: pkg.name, declared };
});
const workspaceByName = new Map(workspaces.map((w) => [w.name, w]));

// 1-3: what each workspace imports.
for (const workspace of workspaces) {
  const { dir, name, declared } = workspace;
  const manifest = rel(join(dir, 'package.json'));
  const isDeclared = (pkg) => DEPENDENCY_FIELDS.some((field) => declared[field].has(pkg));
  for (const sourceDir of SOURCE_DIRS) {
    for (const file of sourceFiles(join(dir, sourceDir))) {
      for (const { specifier, line, typeOnly } of importsOf(file)) {
        if (specifier.startsWith('.') || specifier.startsWith('/')) continue;
        const where = `${rel(file)}:${line}`;
        if (specifier.startsWith('node:')) continue;
        if (isBuiltin(specifier)) {
          report(where, `imports the built-in '${specifier}' without its prefix; write 'node:${specifier}'`);
          continue;
        }
        const pkg = packageOf(specifier);
        if (pkg.startsWith(SCOPE) && specifier !== pkg) {
          report(
            where,
            `deep import '${specifier}'; import '${pkg}' and export what is needed from its src/index.ts`,
          );
        }
        if (pkg === name) continue;
        if (!isDeclared(pkg)) {
          if (sourceDir === 'test' && rootDevDependencies.has(pkg)) continue;
          const field = sourceDir === 'test' ? 'devDependencies' : 'dependencies';
          report(where, `imports '${pkg}', which ${manifest} does not declare; add it to its "${field}"`);
          continue;
        }
        if (
          sourceDir !== 'test' &&
          !typeOnly &&
          !declared.dependencies.has(pkg) &&
          !declared.peerDependencies.has(pkg)
        ) {
          report(
            where,
            `imports '${pkg}' at run time, but ${manifest} declares it only in "devDependencies"; move it to "dependencies"`,
          );
        }
      }
    }
  }
}

// 4: cycles between workspaces (over all declared dependencies: npm and vitest see them all).
const internalDeps = (workspace) =>
  DEPENDENCY_FIELDS.flatMap((field) => [...workspace.declared[field]]).filter((dep) =>
    workspaceByName.has(dep),
  );
const state = new Map(); // name -> 'visiting' | 'done'
function visit(name, path) {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'visiting') {
    const cycle = [...path.slice(path.indexOf(name)), name];
    report(
      'workspaces',
      `dependency cycle ${cycle.join(' -> ')}; move the shared part into a package both can use`,
    );
    return;
  }
  state.set(name, 'visiting');
  const workspace = workspaceByName.get(name);
  if (workspace) for (const dep of internalDeps(workspace)) visit(dep, [...path, name]);
  state.set(name, 'done');
}
for (const workspace of workspaces) visit(workspace.name, []);

// 5: project references.
const referencedDirs = (tsconfigFile) =>
  (readJson(tsconfigFile).references ?? []).map((reference) =>
    resolve(dirname(tsconfigFile), reference.path),
  );
const rootTsconfig = join(ROOT, 'tsconfig.json');
const rootReferences = new Set(referencedDirs(rootTsconfig));
for (const { dir, name, declared } of workspaces) {
  const tsconfig = join(dir, 'tsconfig.json');
  if (!existsSync(tsconfig)) continue;
  if (!rootReferences.has(dir)) {
    report(
      rel(rootTsconfig),
      `does not reference ${rel(dir)}; add { "path": "${rel(dir)}" } to its "references"`,
    );
  }
  const expected = new Set(
    [...declared.dependencies]
      .map((dep) => workspaceByName.get(dep))
      .filter((w) => w !== undefined && existsSync(join(w.dir, 'tsconfig.json')))
      .map((w) => w.dir),
  );
  const actual = new Set(referencedDirs(tsconfig));
  for (const missing of [...expected].filter((d) => !actual.has(d))) {
    const dep = workspaces.find((w) => w.dir === missing)?.name;
    report(
      rel(tsconfig),
      `${name} depends on ${dep} but does not reference it; add { "path": "${relative(dir, missing)}" } to "references"`,
    );
  }
  for (const extra of [...actual].filter((d) => !expected.has(d))) {
    const target = workspaces.find((w) => w.dir === extra)?.name ?? rel(extra);
    report(
      rel(tsconfig),
      `references ${target}, which is not in the "dependencies" of ${rel(join(dir, 'package.json'))}; declare it or drop the reference`,
    );
  }
}

if (problems.length > 0) {
  process.stderr.write(
    `check-deps: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}\n`).join('')}`,
  );
  process.exit(1);
}
process.stdout.write(`check-deps: ${workspaces.length} workspaces declare what they import\n`);
