import jsYaml from 'js-yaml';
import { createRequire } from 'node:module';
import type { Document, LineCounter, Node } from 'yaml';
import { ConfigError } from '../errors/index.js';

export type YamlPath = readonly (string | number)[];

// The `yaml` package (positions, clearer messages) is loaded only when a place or an error is
// needed: most runs never need one, and loading it costs start-up time.
let yamlModule: typeof import('yaml') | undefined;
const yaml = () => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

// YAML 1.2 core (dates stay strings, as in the `yaml` package) plus merge keys (<<).
const SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [(jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge] });

/**
 * A parsed YAML file that can say where each value came from. Values come from js-yaml (fast);
 * positions from the `yaml` package's document, built only when a place is first asked for.
 */
export class YamlFile {
  private located?: { doc: Document; lineCounter: LineCounter };

  constructor(
    readonly path: string,
    readonly value: unknown,
    private readonly text: string,
  ) {}

  private get doc(): Document {
    return this.locate().doc;
  }

  private get lineCounter(): LineCounter {
    return this.locate().lineCounter;
  }

  private locate(): { doc: Document; lineCounter: LineCounter } {
    if (!this.located) {
      const lineCounter = new (yaml().LineCounter)();
      this.located = { doc: yaml().parseDocument(this.text, { lineCounter }), lineCounter };
    }
    return this.located;
  }

  /** Line and column of the value at `path`; with `key`, of that key inside the map at `path`. */
  placeOf(path: YamlPath, key?: string): { file: string; line?: number; column?: number } {
    let node: unknown = path.length === 0 ? this.doc.contents : this.doc.getIn(path as (string | number)[], true);
    let best: unknown = node;
    const { isMap, isPair, isScalar } = yaml();
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

/** YAML text as values, with the same schema as project files (YAML 1.2 core: dates stay strings). */
export function loadYaml(text: string): unknown {
  return jsYaml.load(text, { schema: SCHEMA });
}

/** Parses YAML, turning syntax errors into ConfigErrors with file and line. */
export function parseYaml(path: string, text: string): { file?: YamlFile; errors: ConfigError[] } {
  try {
    return { file: new YamlFile(path, jsYaml.load(text, { schema: SCHEMA, filename: path }) ?? {}, text), errors: [] };
  } catch (error) {
    const located = describeYamlErrors(path, text);
    if (located.length > 0) return { errors: located };
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? String(error);
    return {
      errors: [
        new ConfigError('yaml-syntax', `invalid YAML: ${reason}`, {
          file: path,
          line: mark ? mark.line + 1 : undefined,
          column: mark ? mark.column + 1 : undefined,
          hint: 'check the indentation and quoting on this line',
        }),
      ],
    };
  }
}

/** The `yaml` package's messages are clearer than js-yaml's: use them for files that fail. */
function describeYamlErrors(path: string, text: string): ConfigError[] {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  return doc.errors.map((error) => {
    const pos = lineCounter.linePos(error.pos[0]);
    const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return new ConfigError('yaml-syntax', `invalid YAML: ${message}`, {
      file: path,
      line: pos.line,
      column: pos.col,
      hint: 'check the indentation and quoting on this line',
    });
  });
}
