import Handlebars from 'handlebars';
import { ConfigError, GraphError, RenderError, didYouMean } from '../errors/index.js';
import { quoteIdent, quoteLiteral, quoteRelation } from '../sql/quote.js';
import { EPHEMERAL_PREFIX, type RefTarget, type RenderState } from './render-state.js';

export interface HelperContext {
  readonly vars: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Models and seeds by name. */
  readonly nodes: ReadonlyMap<string, RefTarget>;
  /** Sources by "source.table". */
  readonly sources: ReadonlyMap<string, RefTarget>;
  /** Names of disabled models, to explain why a ref does not resolve. */
  readonly disabled: ReadonlySet<string>;
}

type Options = Handlebars.HelperOptions & { loc?: { start: { line: number; column: number } }; data: { reel?: RenderState } };

export const SECRET_PREFIX = 'REEL_SECRET_';

/** Connection strings and names that say they hold a credential. */
const SECRET_NAME = /^(DATABASE_URL|OPENLINEAGE_URL|PGPASSWORD)$|PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;

/**
 * Whether `{{env}}` refuses a variable outside profiles.yml: REEL_SECRET_* (as dbt's
 * DBT_ENV_SECRET_*), and the variables that carry a connection's password or a token by name —
 * compiled SQL lands in manifest.json, target/compiled and the docs site.
 */
export function isSecretEnv(name: string): boolean {
  return name.startsWith(SECRET_PREFIX) || SECRET_NAME.test(name);
}

function stateOf(options: Options): RenderState {
  const state = options?.data?.reel;
  if (!state) throw new Error('helper called outside a Reel render');
  return state;
}

function placeOf(options: Options, state: RenderState) {
  return { file: state.file, line: options.loc?.start.line, column: options.loc ? options.loc.start.column + 1 : undefined, node: state.nodeName };
}

/** Splits helper arguments into positional params and the options object Handlebars appends. */
function split(args: unknown[]): { params: unknown[]; options: Options } {
  return { params: args.slice(0, -1), options: args[args.length - 1] as Options };
}

const safe = (text: string) => new Handlebars.SafeString(text);

/** Registers Reel's helpers on a Handlebars instance. Rendering never touches the database. */
export function registerHelpers(hb: typeof Handlebars, context: HelperContext): void {
  hb.registerHelper('ref', (...args: unknown[]) => {
    const { params, options } = split(args);
    const state = stateOf(options);
    const name = String(params[params.length === 2 ? 1 : 0] ?? '');
    const target = context.nodes.get(name);
    if (!target) {
      const known = [...context.nodes.keys()];
      const why = context.disabled.has(name) ? `; model "${name}" is disabled (enabled: false)` : didYouMean(name, known);
      state.errors.push(
        new GraphError('unknown-ref', `ref "${name}" does not match any model or seed${why}`, {
          ...placeOf(options, state),
          hint: context.disabled.has(name) ? 'enable the model or remove the ref' : 'check the name against the files in your model and seed paths',
        }),
      );
      return safe(quoteIdent(`__unknown_ref__${name}`));
    }
    state.dependsOn.add(target.uniqueId);
    const input = state.inputs?.get(target.uniqueId);
    if (input !== undefined) return safe(input);
    if (target.ephemeral) {
      state.ephemeralRefs.add(target.uniqueId);
      return safe(quoteIdent(EPHEMERAL_PREFIX + target.name));
    }
    return safe(quoteRelation(target.relation));
  });

  hb.registerHelper('source', (...args: unknown[]) => {
    const { params, options } = split(args);
    const state = stateOf(options);
    const key = `${String(params[0] ?? '')}.${String(params[1] ?? '')}`;
    const target = context.sources.get(key);
    if (!target) {
      state.errors.push(
        new GraphError('unknown-source', `source "${key}" is not declared${didYouMean(key, context.sources.keys())}`, {
          ...placeOf(options, state),
          hint: 'declare it under sources: in a .yml file beside your models, with its tables',
        }),
      );
      return safe(quoteIdent(`__unknown_source__${key}`));
    }
    state.dependsOn.add(target.uniqueId);
    return safe(state.inputs?.get(target.uniqueId) ?? quoteRelation(target.relation));
  });

  hb.registerHelper('var', (...args: unknown[]) => {
    const { params, options } = split(args);
    const state = stateOf(options);
    const name = String(params[0] ?? '');
    if (state.vars && Object.hasOwn(state.vars, name)) return formatValue(state.vars[name]);
    if (Object.hasOwn(context.vars, name)) return formatValue(context.vars[name]);
    const fallback = params.length > 1 ? params[1] : options.hash?.default;
    if (fallback !== undefined) return formatValue(fallback);
    state.errors.push(
      new RenderError('unknown-var', `var "${name}" is not set${didYouMean(name, Object.keys(context.vars))}`, {
        ...placeOf(options, state),
        hint: `add it under vars: in reel_project.yml, pass --vars '{${name}: ...}', or give a default: {{var "${name}" "default"}}`,
      }),
    );
    return '';
  });

  hb.registerHelper('env', (...args: unknown[]) => {
    const { params, options } = split(args);
    const state = stateOf(options);
    const name = String(params[0] ?? '');
    if (isSecretEnv(name) && !state.allowSecrets) {
      state.errors.push(
        new RenderError('secret-env', `env "${name}" is a secret and can only be used in profiles.yml`, {
          ...placeOf(options, state),
          hint: `secrets (${SECRET_PREFIX}*, DATABASE_URL, names with PASSWORD, SECRET, TOKEN or API_KEY) never appear in compiled SQL or artifacts; read them in profiles.yml instead`,
        }),
      );
      return '';
    }
    const value = state.env && Object.hasOwn(state.env, name) ? state.env[name] : context.env[name];
    if (value !== undefined) return value;
    const fallback = params.length > 1 ? params[1] : options.hash?.default;
    if (fallback !== undefined) return formatValue(fallback);
    state.errors.push(
      new RenderError('unknown-env', `environment variable ${name} is not set`, {
        ...placeOf(options, state),
        hint: `export ${name}=… before running, or give a default: {{env "${name}" "default"}}`,
      }),
    );
    return '';
  });

  // Read statically before rendering (see model-config.ts); renders nothing.
  hb.registerHelper('config', () => '');

  hb.registerHelper('ident', (...args: unknown[]) => safe(split(args).params.map((p) => quoteIdent(String(p))).join('.')));
  hb.registerHelper('literal', (...args: unknown[]) => safe(quoteLiteral(split(args).params[0])));
  hb.registerHelper('literals', (...args: unknown[]) => {
    const value = split(args).params[0];
    const list = Array.isArray(value) ? value : [value];
    return safe(list.map((v) => quoteLiteral(v)).join(', '));
  });

  for (const name of ['run_query', 'statement', 'query', 'load_result']) {
    hb.registerHelper(name, (...args: unknown[]) => {
      const { options } = split(args);
      const state = stateOf(options);
      state.errors.push(
        new RenderError('render-no-database', `{{${name}}}: rendering cannot query the database`, {
          ...placeOf(options, state),
          hint: 'Reel compiles without a connection; compute the value in SQL (a CTE or a model) or pass it with --vars',
        }),
      );
      return '';
    });
  }

  hb.registerHelper('helperMissing', (...args: unknown[]) => {
    const { options } = split(args);
    const state = stateOf(options);
    const name = (options as unknown as { name: string }).name;
    state.errors.push(
      new RenderError('unknown-helper', `unknown helper "${name}"${didYouMean(name, Object.keys(hb.helpers))}`, {
        ...placeOf(options, state),
        hint: 'built-in helpers are ref, source, var, env, config, ident, literal, literals; add your own as a module in macros/',
      }),
    );
    return '';
  });
}

function formatValue(value: unknown): string | Handlebars.SafeString {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Turns an error Handlebars threw while running a template into a RenderError at its place. */
export function renderFailure(error: unknown, file: string, nodeName: string, hb: typeof Handlebars, template?: { helperNames: ReadonlySet<string>; partialCalls: ReadonlyMap<string, { line: number; column: number }> }): RenderError | ConfigError {
  if (error instanceof RenderError || error instanceof ConfigError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const withLoc = error as { lineNumber?: number; column?: number };
  const strict = /^"([^"]+)" not defined in/.exec(text);
  const partial = /^The partial (\S+) could not be found/.exec(text);
  let message = text.split('\n')[0]!;
  let hint: string | undefined;
  let place = { line: withLoc.lineNumber, column: withLoc.column !== undefined ? withLoc.column + 1 : undefined };
  if (strict && template?.helperNames.has(strict[1]!)) {
    message = `unknown helper "${strict[1]}"${didYouMean(strict[1]!, Object.keys(hb.helpers))}`;
    hint = 'built-in helpers are ref, source, var, env, config, ident, literal, literals; add your own as a module in macros/';
  } else if (strict) {
    message = `"${strict[1]}" is not defined${didYouMean(strict[1]!, ['is_incremental', 'this'])}`;
    hint = 'templates can use is_incremental and this; read settings with {{var "name"}} and {{env "NAME"}}';
  } else if (partial) {
    message = `macro "${partial[1]}" is not defined${didYouMean(partial[1]!, Object.keys(hb.partials))}`;
    place = template?.partialCalls.get(partial[1]!) ?? place;
    hint = 'partials come from .sql or .hbs files in macros/, named by file name';
  }
  return new RenderError('render', message, {
    file,
    node: nodeName,
    ...place,
    hint,
    cause: error,
  });
}
