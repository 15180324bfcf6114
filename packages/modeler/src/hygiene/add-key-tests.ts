import { readFileSync, writeFileSync } from 'node:fs';
import { LineCounter, isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';

/**
 * `model lint --fix`: adds tests to a declared column in a property file, keeping its comments
 * and layout (the yaml library edits the document, not the text). Returns false when the model or
 * column is not found there.
 */
export function addColumnTests(path: string, model: string, column: string, tests: readonly string[]): boolean {
  const document = parseDocument(readFileSync(path, 'utf8'));
  const target = findColumn(document, model, column);
  if (!target) return false;
  const key = target.has('data_tests') && !target.has('tests') ? 'data_tests' : 'tests';
  const existing = target.get(key);
  if (existing === undefined || existing === null) target.set(key, document.createNode([...tests], { flow: true }));
  else if (isSeq(existing)) for (const test of tests) (existing as YAMLSeq).add(document.createNode(test));
  else return false;
  writeFileSync(path, document.toString());
  return true;
}

function findColumn(document: Document, model: string, column: string): YAMLMap | undefined {
  const models = document.get('models');
  if (!isSeq(models)) return undefined;
  const entry = (models as YAMLSeq).items.find((item) => isMap(item) && (item as YAMLMap).get('name') === model) as YAMLMap | undefined;
  const columns = entry?.get('columns');
  if (!isSeq(columns)) return undefined;
  return (columns as YAMLSeq).items.find((item) => isMap(item) && (item as YAMLMap).get('name') === column) as YAMLMap | undefined;
}

/** The line of a declared column (or of nothing: 1), for messages. */
export function columnLine(path: string, model: string, column: string): number {
  try {
    const lineCounter = new LineCounter();
    const document = parseDocument(readFileSync(path, 'utf8'), { lineCounter });
    const start = findColumn(document, model, column)?.range?.[0];
    return start === undefined ? 1 : lineCounter.linePos(start).line;
  } catch {
    return 1;
  }
}
