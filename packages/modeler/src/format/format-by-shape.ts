/** A quoted identifier, or a string literal (kept as it is, so that a `"` inside it is not taken for one). */
const TOKEN = /'(?:[^']|'')*'|"(?:[^"]|"")*"/g;

/**
 * Formats SQL whose layout does not depend on its quoted identifiers — the built-in generic tests
 * without a `where`, where identifiers never stand inside parentheses (the one place sql-formatter
 * lays out by width) — once per shape: the identifiers are replaced by numbered placeholders,
 * the result is formatted (or taken from an earlier statement of the same shape) and the
 * identifiers are put back. 20,000 tests of a project come down to a handful of shapes.
 */
export function shapeFormatter(formatOne: (sql: string) => string): (sql: string) => string {
  const shapes = new Map<string, string[] | null>();
  return (sql) => {
    const identifiers: string[] = [];
    const shape = sql.replace(TOKEN, (token) => {
      if (token.startsWith("'")) return token;
      identifiers.push(token);
      return `"\u0001${identifiers.length - 1}"`;
    });
    let parts = shapes.get(shape);
    if (parts === undefined) {
      const pretty = formatOne(shape);
      // The placeholders must come back in order, each once; otherwise this shape is formatted statement by statement.
      const split = pretty.split(/"\u0001(\d+)"/);
      const order = split.filter((_, i) => i % 2 === 1).map(Number);
      parts = order.length === identifiers.length && order.every((n, i) => n === i) ? split.filter((_, i) => i % 2 === 0) : null;
      shapes.set(shape, parts);
    }
    if (parts === null) return formatOne(sql);
    let text = parts[0]!;
    for (let i = 0; i < identifiers.length; i++) text += identifiers[i]! + parts[i + 1]!;
    return text;
  };
}
