import type Handlebars from 'handlebars';

/** A literal helper argument. */
type Literal = string | number | boolean | null | undefined;

/** One piece of a flat template: text, or a helper call with literal arguments. */
export type FlatPart =
  | string
  | {
      readonly helper: string;
      readonly params: readonly Literal[];
      readonly hash: Readonly<Record<string, Literal>>;
      readonly loc: { readonly start: hbs.AST.Position; readonly end: hbs.AST.Position };
    };

/**
 * Most models are text with helper calls whose arguments are literals (`{{ref "x"}}`,
 * `{{config materialized="table"}}`). Such a template needs no Handlebars compilation, which
 * costs several times its parse: its parts are kept here and joined by `renderFlat`. Anything
 * else (blocks, partials, paths, subexpressions) returns undefined and goes through Handlebars.
 */
export function flattenTemplate(ast: hbs.AST.Program): readonly FlatPart[] | undefined {
  const parts: FlatPart[] = [];
  for (const statement of ast.body) {
    if (statement.type === 'ContentStatement') {
      parts.push((statement as hbs.AST.ContentStatement).value);
      continue;
    }
    if (statement.type === 'CommentStatement') continue;
    if (statement.type !== 'MustacheStatement') return undefined;
    const call = statement as hbs.AST.MustacheStatement;
    if (call.path.type !== 'PathExpression') return undefined;
    const path = call.path as hbs.AST.PathExpression;
    if (path.data || path.parts.length !== 1 || path.original !== path.parts[0]) return undefined;
    const pairs = call.hash?.pairs ?? [];
    // Without arguments `{{name}}` may be a variable: only Handlebars knows how to look it up.
    if (call.params.length === 0 && pairs.length === 0) return undefined;
    const params: Literal[] = [];
    for (const param of call.params) {
      if (!isLiteral(param)) return undefined;
      params.push(literalValue(param));
    }
    const hash: Record<string, Literal> = {};
    // Handlebars fills the hash from the last pair to the first: keep its key order.
    for (const pair of [...pairs].reverse()) {
      if (!isLiteral(pair.value)) return undefined;
      hash[pair.key] = literalValue(pair.value);
    }
    const { start, end } = call.loc;
    parts.push({ helper: path.original, params, hash, loc: { start: { line: start.line, column: start.column }, end: { line: end.line, column: end.column } } });
  }
  return parts;
}

function isLiteral(node: hbs.AST.Expression): boolean {
  return node.type === 'StringLiteral' || node.type === 'NumberLiteral' || node.type === 'BooleanLiteral' || node.type === 'NullLiteral' || node.type === 'UndefinedLiteral';
}

function literalValue(node: hbs.AST.Expression): Literal {
  if (node.type === 'NullLiteral') return null;
  if (node.type === 'UndefinedLiteral') return undefined;
  return (node as hbs.AST.StringLiteral).value;
}

/**
 * Renders a flat template as Handlebars would with `noEscape`: each helper is called with the
 * context as `this`, its literal arguments and an options object (name, hash, data, loc), and
 * its result appended unless null or undefined. Returns undefined when a helper is not
 * registered, so that Handlebars reports it.
 */
export function renderFlat(hb: typeof Handlebars, parts: readonly FlatPart[], context: unknown, data: Record<string, unknown>): string | undefined {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const helper = hb.helpers[part.helper] as ((...args: unknown[]) => unknown) | undefined;
    if (!helper || part.helper === 'helperMissing' || part.helper === 'blockHelperMissing') return undefined;
    const value = helper.call(context, ...part.params, { name: part.helper, hash: { ...part.hash }, data, loc: part.loc, lookupProperty: lookupProperty });
    if (value != null) out += String(value);
  }
  return out;
}

function lookupProperty(parent: unknown, name: string): unknown {
  return parent != null && Object.hasOwn(parent, name) ? (parent as Record<string, unknown>)[name] : undefined;
}
