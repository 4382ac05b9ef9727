// Lists what src/ exports that no other file uses, with the TypeScript compiler: `node
// test/unusedExports.mjs`. "unused" names are used nowhere (dead code, or an API kept on
// purpose); "file-local" ones are used only in their own file, so their `export` can go.
// Uses count from src/, test/ and benchmarks/ (re-exports, such as emulator/index.ts's public
// API, count); names that appear in the JavaScript test fixtures count as used.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  },
});
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();
const ownFiles = program.getSourceFiles().filter((file) => !file.isDeclarationFile);

/** Symbol → the files that use it, declarations aside. */
const usedIn = new Map();
for (const file of ownFiles) {
  const visit = (node) => {
    if (ts.isIdentifier(node) && !isDeclaredName(node)) recordUse(node, file.fileName);
    ts.forEachChild(node, visit);
  };
  visit(file);
}

const fixtureText = javascriptFiles(join(root, 'test'))
  .concat(javascriptFiles(join(root, 'benchmarks')))
  .map((path) => readFileSync(path, 'utf8'))
  .join('\n');

const unused = [];
const fileLocal = [];
for (const file of ownFiles) {
  const path = relative(root, file.fileName);
  if (!path.startsWith('src/')) continue;
  const moduleSymbol = checker.getSymbolAtLocation(file);
  if (moduleSymbol === undefined) continue;

  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = resolved(exported);
    const declaration = symbol.declarations?.[0];
    if (declaration === undefined || declaration.getSourceFile() !== file) continue;
    if (new RegExp(`\\b${exported.name}\\b`).test(fixtureText)) continue;

    const files = usedIn.get(symbol) ?? new Set();
    const line = file.getLineAndCharacterOfPosition(declaration.getStart()).line + 1;
    const where = `${path}:${line} ${exported.name}`;
    if (files.size === 0) unused.push(where);
    else if (files.size === 1 && files.has(file.fileName)) fileLocal.push(where);
  }
}

console.log(`unused (${unused.length}):`);
for (const where of unused) console.log(`  ${where}`);
console.log(`file-local (${fileLocal.length}):`);
for (const where of fileLocal) console.log(`  ${where}`);

function recordUse(identifier, fileName) {
  const parent = identifier.parent;
  const symbol =
    parent !== undefined && ts.isShorthandPropertyAssignment(parent)
      ? checker.getShorthandAssignmentValueSymbol(parent)
      : checker.getSymbolAtLocation(identifier);
  if (symbol === undefined) return;

  const target = resolved(symbol);
  const files = usedIn.get(target) ?? new Set();
  files.add(fileName);
  usedIn.set(target, files);
}

function resolved(symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The name in its own declaration (`function name`, `const name`), which is not a use. */
function isDeclaredName(identifier) {
  const parent = identifier.parent;
  if (parent === undefined || parent.name !== identifier) return false;
  return (
    ts.isFunctionDeclaration(parent) ||
    ts.isClassDeclaration(parent) ||
    ts.isInterfaceDeclaration(parent) ||
    ts.isTypeAliasDeclaration(parent) ||
    ts.isEnumDeclaration(parent) ||
    ts.isVariableDeclaration(parent)
  );
}

function javascriptFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return javascriptFiles(path);
    return /\.(c|m)?js$/.test(name) ? [path] : [];
  });
}
