import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { flattenTemplate, renderFlat } from './flat-template.js';

function instance() {
  const hb = Handlebars.create();
  hb.registerHelper('ref', (name: unknown, options: Handlebars.HelperOptions & { loc: { start: { line: number } } }) => `"${String(name)}"@${options.loc.start.line}:${String((options.data as { tag: string }).tag)}`);
  hb.registerHelper('config', () => '');
  hb.registerHelper('args', (...args: unknown[]) => {
    const options = args.pop() as Handlebars.HelperOptions;
    return `${JSON.stringify(args)}${JSON.stringify(options.hash)}`;
  });
  hb.registerHelper('nothing', () => null);
  hb.registerHelper('flag', () => false);
  return hb;
}

describe('flat templates', () => {
  it('render exactly as Handlebars renders them', () => {
    const hb = instance();
    const templates = [
      'select 1',
      '{{config materialized="table" tags="a,b"}}\nselect *\nfrom {{ref "orders"}} o\n  join {{ ref "users" }} u using (id)',
      '{{! a comment }}\n{{!-- another --}}\nselect {{args 1 2.5 true null "x" k="v" n=3 b=false}}',
      'a {{nothing "x"}} b {{flag "x"}} c',
      'select 1 {{~ref "tight"~}} as x\n',
    ];
    for (const text of templates) {
      const ast = hb.parse(text);
      const parts = flattenTemplate(ast);
      expect(parts, text).toBeDefined();
      const expected = hb.compile(ast, { noEscape: true, strict: true })({}, { data: { tag: 't' } });
      expect(renderFlat(hb, parts!, {}, { tag: 't' })).toBe(expected);
    }
  });

  it('leave blocks, partials, variables and subexpressions to Handlebars', () => {
    const hb = instance();
    for (const text of ['{{#if is_incremental}}x{{/if}}', '{{> macro}}', '{{this}}', '{{ref name}}', '{{args (ref "a")}}', '{{@root.x "a"}}', '{{a.b "c"}}']) {
      expect(flattenTemplate(hb.parse(text)), text).toBeUndefined();
    }
  });

  it('give way to Handlebars when a helper is not registered', () => {
    const hb = instance();
    expect(renderFlat(hb, flattenTemplate(hb.parse('select {{reff "a"}}'))!, {}, {})).toBeUndefined();
  });
});
