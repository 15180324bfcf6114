import type { Node, SelectStmt } from 'libpg-query';

interface Named {
  readonly name: string;
  /** 2: a real name, 1: a fallback (type name, `case`), 0: none. */
  readonly strength: number;
}

const NONE: Named = { name: '?column?', strength: 0 };

/** The name PostgreSQL gives an unnamed select-list expression (its FigureColname): `count`, `coalesce`, `?column?`. */
export function outputColumnName(expr: Node | undefined): string {
  return figure(expr).name;
}

function figure(node: Node | undefined): Named {
  if (!node) return NONE;
  if ('ColumnRef' in node) return strong(lastString(node.ColumnRef.fields)) ?? NONE;
  if ('FuncCall' in node) return strong(lastString(node.FuncCall.funcname)) ?? NONE;
  if ('A_Indirection' in node) return strong(lastString(node.A_Indirection.indirection)) ?? figure(node.A_Indirection.arg);
  if ('A_Expr' in node) return node.A_Expr.kind === 'AEXPR_NULLIF' ? { name: 'nullif', strength: 2 } : NONE;
  if ('TypeCast' in node) {
    const inner = figure(node.TypeCast.arg);
    const typeName = lastString(node.TypeCast.typeName?.names);
    return inner.strength <= 1 && typeName !== undefined ? { name: typeName, strength: 1 } : inner;
  }
  if ('CollateClause' in node) return figure(node.CollateClause.arg);
  if ('CaseExpr' in node) {
    const inner = figure(node.CaseExpr.defresult);
    return inner.strength <= 1 ? { name: 'case', strength: 1 } : inner;
  }
  if ('SubLink' in node) return figureSubLink(node.SubLink.subLinkType, node.SubLink.subselect);
  return strong(fixedName(node)) ?? NONE;
}

function figureSubLink(type: string | undefined, subselect: Node | undefined): Named {
  if (type === 'EXISTS_SUBLINK') return { name: 'exists', strength: 2 };
  if (type === 'ARRAY_SUBLINK') return { name: 'array', strength: 2 };
  if (type !== 'EXPR_SUBLINK' || !subselect || !('SelectStmt' in subselect)) return NONE;
  let select: SelectStmt | undefined = subselect.SelectStmt;
  while (select?.larg) select = select.larg;
  const first = select?.targetList?.[0];
  if (!first || !('ResTarget' in first)) return NONE;
  if (first.ResTarget.name !== undefined) return { name: first.ResTarget.name, strength: 2 };
  const inner = figure(first.ResTarget.val);
  return inner.strength === 0 ? NONE : { name: inner.name, strength: 2 };
}

const FIXED_NAMES: Readonly<Record<string, string>> = {
  A_ArrayExpr: 'array',
  RowExpr: 'row',
  CoalesceExpr: 'coalesce',
  GroupingFunc: 'grouping',
  XmlSerialize: 'xmlserialize',
  JsonParseExpr: 'json',
  JsonScalarExpr: 'json_scalar',
  JsonSerializeExpr: 'json_serialize',
  JsonObjectConstructor: 'json_object',
  JsonArrayConstructor: 'json_array',
  JsonArrayQueryConstructor: 'json_array',
  JsonObjectAgg: 'json_objectagg',
  JsonArrayAgg: 'json_arrayagg',
  MergeSupportFunc: 'merge_action',
};

function fixedName(node: Node): string | undefined {
  if ('MinMaxExpr' in node) return node.MinMaxExpr.op === 'IS_LEAST' ? 'least' : 'greatest';
  if ('SQLValueFunction' in node) return node.SQLValueFunction.op?.replace(/^SVFOP_/, '').replace(/_N$/, '').toLowerCase();
  if ('XmlExpr' in node) return node.XmlExpr.op === 'IS_DOCUMENT' ? undefined : node.XmlExpr.op?.replace(/^IS_/, '').toLowerCase();
  if ('JsonFuncExpr' in node) return node.JsonFuncExpr.op?.replace(/_OP$/, '').toLowerCase();
  return FIXED_NAMES[Object.keys(node)[0]!];
}

function strong(name: string | undefined): Named | undefined {
  return name === undefined ? undefined : { name, strength: 2 };
}

/** The last String in a name list (`pg_catalog.count` → count); stars and indices are skipped. */
export function lastString(list: readonly Node[] | undefined): string | undefined {
  let found: string | undefined;
  for (const item of list ?? []) if ('String' in item) found = item.String.sval;
  return found;
}
