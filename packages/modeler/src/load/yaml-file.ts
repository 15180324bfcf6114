import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError } from '../errors/index.js';

export type YamlPath = readonly (string | number)[];

/** A parsed YAML file that remembers where each value came from. */
export class YamlFile {
  constructor(
    readonly path: string,
    readonly value: unknown,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Line and column of the value at `path`; with `key`, of that key inside the map at `path`. */
  placeOf(path: YamlPath, key?: string): { file: string; line?: number; column?: number } {
    let node: unknown = path.length === 0 ? this.doc.contents : this.doc.getIn(path as (string | number)[], true);
    let best: unknown = node;
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key);
      if (pair && isPair(pair)) best = pair.key;
    }
    // A missing path falls back to the nearest ancestor that exists.
    for (let depth = path.length - 1; best === undefined && depth >= 0; depth--) {
      best = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth) as (string | number)[], true);
    }
    const range = (best as Node | undefined)?.range;
    if (!range) return { file: this.path };
    const pos = this.lineCounter.linePos(range[0]);
    return { file: this.path, line: pos.line, column: pos.col };
  }

  /** The error for `path`: `file:line:col  message`. */
  error(path: YamlPath, message: string, hint?: string, key?: string): ConfigError {
    return new ConfigError('config', message, { ...this.placeOf(path, key), hint });
  }
}

/** Parses YAML, turning syntax errors into ConfigErrors with file and line. */
export function parseYaml(path: string, text: string): { file?: YamlFile; errors: ConfigError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return new ConfigError('yaml-syntax', `invalid YAML: ${message}`, {
          file: path,
          line: pos.line,
          column: pos.col,
          hint: 'check the indentation and quoting on this line',
        });
      }),
    };
  }
  return { file: new YamlFile(path, doc.toJS({ maxAliasCount: 1000 }) ?? {}, doc, lineCounter), errors: [] };
}
