import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { openDatabase, readProfileName, resolveTarget, UsageError } from '@reel/modeler';
import { createPortal, mergePortalExtensions, type PortalExtensions } from './create-portal.js';
import { loadEmbedConfig } from '../embed/embed-config.js';
import { embedExtensions } from '../embed/embed-routes.js';
import { loadPortalConfig } from './portal-config.js';

export interface ServeOptions {
  readonly projectDir: string;
  /** The users file (default .reel/portal.yml). */
  readonly configFile: string;
  readonly port: number;
  readonly host: string;
  readonly secure?: boolean;
  readonly cacheMs?: number;
  readonly target?: string;
  readonly profilesDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** More routes, CSP sources and nav links, served beside the embedded reports of the config file. */
  readonly extensions?: PortalExtensions;
  readonly log?: (line: string) => void;
  readonly cwd?: string;
}

export interface RunningPortal {
  /** e.g. http://127.0.0.1:4280/ */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `bi serve`: reads the users file, opens the models project's database with the modeler's
 * connection resolver (DATABASE_URL, a profiles.yml target, else the embedded PostgreSQL) and serves
 * the portal until `close`.
 */
export async function servePortal(options: ServeOptions): Promise<RunningPortal> {
  const cwd = options.cwd ?? process.cwd();
  const projectDir = resolve(cwd, options.projectDir);
  // The users file first: a mistake there is reported before any connection is opened.
  const config = loadPortalConfig(resolve(cwd, options.configFile), options.configFile);
  // Its users, so that region rules (rls_role, all_regions_role, trusted tickets) are checked now.
  const embed = loadEmbedConfig(resolve(cwd, options.configFile), options.configFile, options.env ?? process.env, config.accounts.values());
  const target = resolveTarget({ projectRoot: projectDir, profile: readProfileName(projectDir), target: options.target, profilesDir: options.profilesDir, env: options.env ?? process.env });
  const database = await openDatabase(target, { projectRoot: projectDir, threads: 10, log: options.log });
  try {
    // Warnings only (failed sign-ins, forged regions, errors), as JSON lines on stdout.
    const app = await createPortal({ config, pool: database.pool, secure: options.secure, cacheMs: options.cacheMs, extensions: mergePortalExtensions(embedExtensions(embed), options.extensions), logger: { level: 'warn' } });
    try {
      await app.listen({ port: options.port, host: options.host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError('portal-port-in-use', `port ${options.port} on ${options.host} is already in use`, { hint: 'choose another with --port <n>' });
      if (code === 'EACCES') throw new UsageError('portal-port-denied', `not allowed to listen on port ${options.port}`, { hint: 'choose a port above 1023 with --port <n>' });
      throw error;
    }
    const address = app.server.address() as AddressInfo | null;
    const host = address && address.family === 'IPv6' ? `[${address.address}]` : (address?.address ?? options.host);
    const url = `http://${host}:${address?.port ?? options.port}/`;
    options.log?.(`Portal on ${url} (marts from ${target.display}; users from ${options.configFile}; ${config.accounts.size} user${config.accounts.size === 1 ? '' : 's'}${options.secure ? '; Secure cookies: put it behind https' : ''})`);
    return {
      url,
      close: async () => {
        await app.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
