import { format } from 'sql-formatter';

/** A Handlebars tag: `{{…}}`, `{{{…}}}`, comments `{{!-- … --}}` included. */
const TAG = String.raw`\{\{\{?[\s\S]*?\}?\}\}`;
const BLOCK_TAG = /\{\{(?:[#/^]|else\b)[\s\S]*?\}\}/;

export type FormatOutcome = { readonly changed: false } | { readonly changed: true; readonly text: string } | { readonly changed: false; readonly skipped: string };

/**
 * Formats a SQL template with sql-formatter (PostgreSQL dialect, keywords as written), every
 * Handlebars tag kept intact as a token; block tags (`{{#if}}`, `{{else}}`, `{{/if}}`) get lines of
 * their own. Only whitespace may change: if anything else would, the file is left as it is.
 */
export function formatTemplate(text: string): FormatOutcome {
  let formatted: string;
  try {
    formatted = format(text, { language: 'postgresql', keywordCase: 'preserve', tabWidth: 2, paramTypes: { custom: [{ regex: TAG }] } });
  } catch (error) {
    return { changed: false, skipped: `sql-formatter cannot read it (${(error as Error).message.split('\n')[0]})` };
  }
  formatted = blockTagsOnTheirOwnLines(formatted).trimEnd() + '\n';
  if (strip(formatted) !== strip(text)) return { changed: false, skipped: 'formatting would change more than whitespace' };
  return formatted === text ? { changed: false } : { changed: true, text: formatted };
}

function blockTagsOnTheirOwnLines(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!BLOCK_TAG.test(line) || line.trim().match(new RegExp(`^${BLOCK_TAG.source}$`))) {
      out.push(line);
      continue;
    }
    const indent = /^\s*/.exec(line)![0];
    const parts = line.trim().split(new RegExp(`(${BLOCK_TAG.source})`));
    for (const part of parts) if (part.trim() !== '') out.push(indent + part.trim());
  }
  return out.join('\n');
}

const strip = (text: string) => text.replace(/\s+/g, '');
