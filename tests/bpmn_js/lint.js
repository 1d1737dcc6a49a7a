// Lint BPMN files with bpmnlint's recommended rules (the .bpmnlintrc next to this file).
// Usage: node lint.js FILE.bpmn...  Prints one JSON object: {file: [{id, rule, message, category}]}.
// Import warnings of the BPMN parser count as errors, as in bpmnlint's own command line.
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');
const { BpmnModdle } = require('bpmn-moddle');
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

async function lintFile(file, config) {
  const xml = readFileSync(file, 'utf-8');
  const moddle = new BpmnModdle();
  let parsed;
  try {
    parsed = await moddle.fromXML(xml, 'bpmn:Definitions');
  } catch (err) {
    return [{ id: '', rule: 'parse', message: 'Parse error: ' + err.message, category: 'error' }];
  }
  const out = parsed.warnings.map((w) => ({
    id: (w.element && w.element.id) || '',
    rule: 'import',
    message: 'Import warning: ' + String(w.message).split(/\n/)[0],
    category: 'error',
  }));
  const linter = new Linter({ config, resolver: new NodeResolver({ require }) });
  const reports = await linter.lint(parsed.rootElement);
  for (const [rule, items] of Object.entries(reports)) {
    for (const r of items) {
      out.push({ id: r.id || '', rule, message: r.message, category: r.category });
    }
  }
  return out;
}

async function main() {
  const config = JSON.parse(readFileSync(path.join(__dirname, '.bpmnlintrc'), 'utf-8'));
  const result = {};
  for (const file of process.argv.slice(2)) {
    result[file] = await lintFile(file, config);
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
