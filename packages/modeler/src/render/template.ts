import type Handlebars from 'handlebars';
import type { CompileCache } from '../cache/compile-cache.js';
import { RenderError } from '../errors/index.js';
import { flattenTemplate, type FlatPart } from './flat-template.js';
import { marker } from './source-map.js';

type Ast = hbs.AST.Program;
type AnyNode = hbs.AST.Node & Record<string, unknown>;

/** A literal value in a `{{config}}` or `{{ref}}` call, or a subexpression to evaluate later. */
export type StaticValue = string | number | boolean | null | undefined | { readonly helper: string; readonly params: StaticValue[] };

export interface StaticCall {
  readonly helper: string;
  readonly params: readonly StaticValue[];
  readonly hash: Readonly<Record<string, StaticValue>>;
  readonly line: number;
  readonly column: number;
}

/** A template parsed once: its AST (with position markers) and the calls that can be read without running it. */
export interface ParsedTemplate {
  readonly file: string;
  readonly ast: Ast;
  readonly configCalls: readonly StaticCall[];
  readonly refCalls: readonly StaticCall[];
  readonly usesIncremental: boolean;
  /** Names used as helpers (with arguments), to tell a misspelt helper from a misspelt variable. */
  readonly helperNames: ReadonlySet<string>;
  /** Where each partial (macro) is first used. */
  readonly partialCalls: ReadonlyMap<string, { readonly line: number; readonly column: number }>;
  /** Set when the template is only text and helper calls with literal arguments (see flat-template.ts). */
  readonly flat?: readonly FlatPart[];
}

/**
 * Parses a template; a syntax error becomes a RenderError at its line. With a cache, a flat
 * template seen before (same text) is not parsed again: its AST is only built if asked for.
 */
export function parseTemplate(hb: typeof Handlebars, file: string, text: string, cache?: CompileCache): ParsedTemplate {
  const cached = cache?.template(text);
  if (cached) {
    let ast: Ast | undefined;
    return {
      file,
      get ast() {
        ast ??= parseTemplate(hb, file, text).ast;
        return ast;
      },
      configCalls: cached.configCalls,
      refCalls: cached.refCalls,
      usesIncremental: cached.usesIncremental,
      helperNames: new Set(cached.helperNames),
      partialCalls: new Map(),
      flat: cached.flat,
    };
  }
  const parsed = parseUncached(hb, file, text);
  if (cache && parsed.flat && !hasUndefined([parsed.flat, parsed.configCalls, parsed.refCalls])) {
    cache.storeTemplate(text, {
      flat: parsed.flat,
      configCalls: parsed.configCalls,
      refCalls: parsed.refCalls,
      usesIncremental: parsed.usesIncremental,
      helperNames: [...parsed.helperNames],
    });
  }
  return parsed;
}

/** JSON would turn an undefined literal into null: such templates are not cached. */
function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (value && typeof value === 'object') return Object.values(value).some(hasUndefined);
  return false;
}

function parseUncached(hb: typeof Handlebars, file: string, text: string): ParsedTemplate {
  let ast: Ast;
  try {
    ast = hb.parse(text);
  } catch (error) {
    throw templateSyntaxError(file, error);
  }
  const configCalls: StaticCall[] = [];
  const refCalls: StaticCall[] = [];
  let usesIncremental = false;
  const helperNames = new Set<string>();
  const partialCalls = new Map<string, { line: number; column: number }>();
  walk(ast as unknown as AnyNode, (node) => {
    if (node.type === 'ContentStatement') {
      addMarkers(node as unknown as hbs.AST.ContentStatement);
      return;
    }
    if (node.type === 'PartialStatement') {
      const partial = node as unknown as hbs.AST.PartialStatement;
      const name = (partial.name as hbs.AST.PathExpression).original;
      if (name && !partialCalls.has(name)) partialCalls.set(name, { line: partial.loc.start.line, column: partial.loc.start.column + 1 });
    }
    if (node.type === 'PathExpression' && (node as unknown as hbs.AST.PathExpression).original === 'is_incremental') usesIncremental = true;
    if (node.type !== 'MustacheStatement' && node.type !== 'SubExpression') return;
    const call = node as unknown as hbs.AST.MustacheStatement;
    if (call.path.type !== 'PathExpression') return;
    const name = (call.path as hbs.AST.PathExpression).original;
    if (call.params.length > 0 || (call.hash?.pairs.length ?? 0) > 0) helperNames.add(name);
    if (name !== 'config' && name !== 'ref' && name !== 'source') return;
    const staticCall: StaticCall = {
      helper: name,
      params: call.params.map(staticValue),
      hash: Object.fromEntries((call.hash?.pairs ?? []).map((pair) => [pair.key, staticValue(pair.value)])),
      line: call.loc.start.line,
      column: call.loc.start.column + 1,
    };
    (name === 'config' ? configCalls : refCalls).push(staticCall);
  });
  return { file, ast, configCalls, refCalls, usesIncremental, helperNames, partialCalls, flat: flattenTemplate(ast) };
}

function staticValue(node: hbs.AST.Expression): StaticValue {
  switch (node.type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral':
      return (node as hbs.AST.StringLiteral).value;
    case 'NullLiteral':
      return null;
    case 'UndefinedLiteral':
      return undefined;
    case 'SubExpression': {
      const sub = node as hbs.AST.SubExpression;
      const helper = sub.path.type === 'PathExpression' ? (sub.path as hbs.AST.PathExpression).original : '?';
      return { helper, params: sub.params.map(staticValue) };
    }
    default:
      return { helper: `(${node.type})`, params: [] };
  }
}

/** Puts a position marker at the start of the text and after every newline in it. */
function addMarkers(node: hbs.AST.ContentStatement): void {
  const value = node.value;
  if (value.length === 0) return;
  const original = node.original as unknown as string;
  const skipped = Math.max(0, original.indexOf(value));
  let line = node.loc.start.line;
  let column = node.loc.start.column + 1;
  for (let i = 0; i < skipped; i++) {
    if (original[i] === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  let out = marker(line, column);
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    out += char;
    if (char === '\n' && i < value.length - 1) {
      line++;
      out += marker(line, 1);
    }
  }
  node.value = out;
}

function walk(node: AnyNode | undefined, visit: (node: AnyNode) => void): void {
  if (!node || typeof node !== 'object') return;
  visit(node);
  for (const key of ['body', 'program', 'inverse', 'params', 'path', 'hash', 'pairs', 'value'] as const) {
    const child = node[key] as AnyNode | AnyNode[] | undefined;
    if (Array.isArray(child)) child.forEach((c) => walk(c, visit));
    else if (child && typeof child === 'object' && 'type' in child) walk(child, visit);
  }
}

function templateSyntaxError(file: string, error: unknown): RenderError {
  const text = error instanceof Error ? error.message : String(error);
  const lineMatch = /on line (\d+)/.exec(text);
  const detail = text.split('\n').filter((l) => l.startsWith('Expecting') || l.includes('doesn\'t match')).join(' ');
  const mismatch = /(\S+) doesn't match (\S+)/.exec(text);
  return new RenderError('template-syntax', mismatch ? `{{/${mismatch[2]}}} closes a block that {{#${mismatch[1]}}} opened` : `invalid template syntax${detail ? `: ${detail.replace(/'/g, '')}` : ''}`, {
    file,
    line: lineMatch ? Number(lineMatch[1]) : (error as { lineNumber?: number }).lineNumber,
    column: (error as { column?: number }).column !== undefined ? (error as { column: number }).column + 1 : undefined,
    hint: 'check that every {{ has a matching }} and every {{#block}} its {{/block}}',
    cause: error,
  });
}
