/**
 * Plugins: a scheduler or workload implemented in the user's own ES module, named in a config by
 * its path (`"scheduler": { "type": "./schedulers/edf.js" }`; docs/writing-a-scheduler.md). A
 * `type` that starts with "./", "../", "/" or "file:" is a module path, resolved against the
 * directory of the config file. Resolving a config is synchronous, so every entry point that
 * resolves configs first calls `loadPlugins` (async): it imports each module named anywhere in the
 * config (its scheduler and workload types, per-type option blocks, sweep values and --set
 * overrides, since those are already applied to the points), checks its default export and keeps
 * it, with the file's sha256, under (kind, absolute path). `resolveExperiment` then finds it with
 * `findPlugin`. Every failure is a UserError naming the config file, the field and the module.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { EngineRequirements, SchedulerType } from '../schedulers/registry.js';
import type { Scheduler } from '../sim/types.js';
import type { Workload } from '../sim/workload.js';
import type { WorkloadEnv, WorkloadType } from '../traces/registry.js';
import { describeValue, UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';

export type PluginKind = 'scheduler' | 'workload';

/** A module path rather than a registered name: starts with "./", "../", "/" or "file:". */
export function isPluginRef(type: unknown): type is string {
  return typeof type === 'string' && /^(\.\.?\/|\/|file:)/.test(type);
}

/** Module file extensions node imports (the TypeScript ones only through a loader such as tsx). */
const JS_EXTENSIONS = ['.js', '.mjs', '.cjs'];
const TS_EXTENSIONS = ['.ts', '.mts', '.cts'];

/** The JSON Schema pattern of a plugin `type` (docs/experiment.schema.json). */
export const PLUGIN_REF_PATTERN = '^(\\./|\\.\\./|/|file:).*\\.(js|mjs|cjs|ts|mts|cts)$';

/** A loaded plugin: the registry entry the config resolver uses, and its provenance. */
export interface LoadedPlugin {
  readonly kind: PluginKind;
  /** Absolute path of the module file. */
  readonly path: string;
  /** sha256 of the module file's bytes (imports of the module are not included). */
  readonly sha256: string;
  readonly entry: SchedulerType & WorkloadType;
}

/** Provenance of a plugin a resolved experiment uses (manifest.json, config.resolved.json). */
export interface PluginRecord {
  readonly kind: PluginKind;
  /** The `type` as written in the config. */
  readonly type: string;
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
  /** JSON Schema (input side) of its options, null when zod cannot write one. */
  readonly optionsSchema: unknown;
}

const loaded = new Map<string, LoadedPlugin>();
const key = (kind: PluginKind, path: string): string => `${kind}\u0000${path}`;

/** The absolute file a plugin `type` names, relative to the config file's directory. */
export function pluginPath(ref: string, configFile: string): string {
  if (ref.startsWith('file:')) {
    try {
      return fileURLToPath(ref);
    } catch {
      return ref;
    }
  }
  return isAbsolute(ref) ? ref : resolve(dirname(resolve(configFile)), ref);
}

/** The loaded plugin a config's `type` names, or undefined if `loadPlugins` did not load it. */
export function findPlugin(kind: PluginKind, ref: string, configFile: string): LoadedPlugin | undefined {
  return loaded.get(key(kind, pluginPath(ref, configFile)));
}

/** Where a config names a plugin: the field (for messages), the kind and the `type` string. */
export interface PluginUse {
  readonly kind: PluginKind;
  readonly ref: string;
  readonly field: string;
}

/**
 * Every plugin one point's config names: scheduler.type, per-type option blocks of the scheduler
 * keyed by a module path, and each workload's type. Values that are not plugin paths are left to
 * the config's own validation.
 */
export function pluginUses(input: Record<string, unknown>): PluginUse[] {
  const out: PluginUse[] = [];
  const s = input.scheduler;
  if (s !== null && typeof s === 'object' && !Array.isArray(s)) {
    const sched = s as Record<string, unknown>;
    if (isPluginRef(sched.type)) out.push({ kind: 'scheduler', ref: sched.type, field: 'scheduler.type' });
    for (const k of Object.keys(sched)) if (k !== 'type' && isPluginRef(k)) out.push({ kind: 'scheduler', ref: k, field: `scheduler["${k}"]` });
  }
  const w = input.workload;
  const list = Array.isArray(w) ? w : [w];
  list.forEach((x, i) => {
    if (x === null || typeof x !== 'object') return;
    const t = (x as Record<string, unknown>).type;
    if (isPluginRef(t)) out.push({ kind: 'workload', ref: t, field: Array.isArray(w) ? `workload[${i}].type` : 'workload.type' });
  });
  return out;
}

/**
 * sha256 of each plugin a point runs (its scheduler.type and workload types, not per-type blocks),
 * as its manifest lists them; a plugin not loaded counts as null. For `--resume`: a point made
 * with another version of a plugin file is not complete.
 */
export function usedPluginHashes(input: Record<string, unknown>, configFile: string): Array<string | null> {
  const seen = new Set<string>();
  const out: Array<string | null> = [];
  for (const u of pluginUses(input)) {
    if (!u.field.endsWith('.type')) continue;
    const path = pluginPath(u.ref, configFile);
    if (seen.has(key(u.kind, path))) continue;
    seen.add(key(u.kind, path));
    out.push(loaded.get(key(u.kind, path))?.sha256 ?? null);
  }
  return out;
}

/**
 * Import every plugin the given configs (sweep points, overrides applied) name, once per process.
 * `configFile` is the file they came from: paths resolve against its directory, and messages name it.
 */
export async function loadPlugins(inputs: ReadonlyArray<Record<string, unknown>>, configFile: string): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    for (const use of pluginUses(input)) {
      const path = pluginPath(use.ref, configFile);
      const k = key(use.kind, path);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(loaded.get(k) ?? (await loadOne(use, path, configFile)));
    }
  }
  return out;
}

async function loadOne(use: PluginUse, path: string, configFile: string): Promise<LoadedPlugin> {
  const where = `${configFile}: ${use.field}: ${use.kind} plugin "${use.ref}"`;
  const ext = extname(path).toLowerCase();
  if (!JS_EXTENSIONS.includes(ext) && !TS_EXTENSIONS.includes(ext)) {
    throw new UserError(`${where}: expected a module file ending in .js, .mjs or .cjs (or .ts with a TypeScript loader), found ${describeValue(use.ref)}`);
  }
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) throw new UserError(`${where}: ${path} is not a file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${where}: module not found: no file ${path} (paths are relative to the config file's directory)`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    const err = e as { code?: string; message?: string; stack?: string };
    if (err.code === 'ERR_UNKNOWN_FILE_EXTENSION' && TS_EXTENSIONS.includes(ext)) {
      throw new UserError(
        `${where}: node cannot import TypeScript by itself: compile it with tsc and name the .js file, or run servesim through a loader (node --import tsx bin/servesim.js ..., or NODE_OPTIONS="--import tsx" servesim ...)`,
      );
    }
    if (e instanceof SyntaxError && JS_EXTENSIONS.includes(ext)) {
      // Node does not say where an ES module's syntax error is; `node --check` does.
      const check = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: 10_000 });
      const line = /^(.+:\d+)$/m.exec(check.stderr ?? '')?.[1];
      if (line) throw new UserError(`${where}: importing ${path} failed: SyntaxError: ${e.message} (at ${line})`);
    }
    const hint = err.code === 'ERR_MODULE_NOT_FOUND' && /'servesim'/.test(err.message ?? '') ? ' (install servesim in the project that holds the plugin: npm install servesim)' : '';
    throw new UserError(`${where}: importing ${path} failed: ${firstLines(e)}${hint}`);
  }
  const def = mod.default;
  if (def === undefined) {
    const names = Object.keys(mod);
    throw new UserError(
      `${where}: ${path} has no default export (expected \`export default { name, options, create }\`${names.length ? `; it exports ${names.join(', ')}` : ''})`,
    );
  }
  const entry = checkDefinition(def, use.kind, path, where);
  const p: LoadedPlugin = { kind: use.kind, path, sha256: sha256(bytes), entry };
  loaded.set(key(use.kind, path), p);
  return p;
}

/**
 * The message of an error thrown by a user's module, with where it happened: the first place in a
 * file its stack names (a syntax error's stack starts with "file:///...:LINE"), else its first frame.
 */
function firstLines(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const lines = (e.stack ?? '').split('\n');
  const places = lines.map((l) => /(file:\/\/[^\s()]+:\d+(?::\d+)?)/.exec(l)?.[1]).filter((x) => x !== undefined);
  // A place in the user's files rather than in an installed package (a test runner's, a loader's).
  const inFile = places.find((x) => !x.includes('/node_modules/')) ?? places[0];
  const frame = lines.find((l) => /^\s+at /.test(l))?.trim();
  const at = inFile ? `at ${inFile}` : frame;
  return `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}${at ? ` (${at})` : ''}`;
}

/** A plugin's options schema as JSON Schema (input side), or null when it cannot be written as one. */
export function optionsJsonSchema(schema: z.ZodType): unknown {
  try {
    const j = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete j.$schema;
    return j;
  } catch {
    return null;
  }
}

/** A zod object schema (duck-typed, so a plugin built against another copy of zod still works). */
function isZodObject(v: unknown): v is z.ZodObject {
  return v !== null && typeof v === 'object' && typeof (v as { safeParse?: unknown }).safeParse === 'function' && typeof (v as { shape?: unknown }).shape === 'object';
}

/**
 * Check a plugin's default export and make it a registry entry: an object with `create`, and
 * optionally `name` (default: the file's name without extension), `description`, `options` (a zod
 * object schema; without one the plugin takes no options) and, for schedulers, `engine`. `create`
 * and what it returns are checked when the run builds its simulation (`instantiate*` below).
 */
function checkDefinition(def: unknown, kind: PluginKind, path: string, where: string): SchedulerType & WorkloadType {
  const shape = kind === 'scheduler' ? '{ name, description, options, create(options), engine?(options) }' : '{ name, description, options, create(options, env) }';
  if (def === null || typeof def !== 'object') {
    throw new UserError(`${where}: expected the default export to be an object ${shape}, found ${typeof def === 'function' ? 'a function' : describeValue(def)}`);
  }
  const d = def as Record<string, unknown>;
  if (typeof d.create !== 'function') throw new UserError(`${where}: expected the default export to have a create() function (${shape}), found ${describeValue(d.create)}`);
  for (const f of ['name', 'description'] as const) {
    if (d[f] !== undefined && (typeof d[f] !== 'string' || d[f] === '')) throw new UserError(`${where}: expected "${f}" of the default export to be a non-empty string, found ${describeValue(d[f])}`);
  }
  if (d.options !== undefined && !isZodObject(d.options)) {
    throw new UserError(`${where}: expected "options" of the default export to be a zod object schema (z.object({...}) with z imported from 'servesim'), found ${describeValue(d.options)}`);
  }
  if (kind === 'scheduler' && d.engine !== undefined && typeof d.engine !== 'function') {
    throw new UserError(`${where}: expected "engine" of the default export to be a function (options) => { execConcurrency?, sendConcurrency? }, found ${describeValue(d.engine)}`);
  }
  if (kind === 'workload' && d.checkTargets !== undefined && typeof d.checkTargets !== 'function') {
    throw new UserError(`${where}: expected "checkTargets" of the default export to be a function, found ${describeValue(d.checkTargets)}`);
  }
  const base = path.slice(path.lastIndexOf('/') + 1);
  const name = (d.name as string | undefined) ?? base.slice(0, base.length - extname(base).length);
  const options = (d.options as z.ZodObject | undefined) ?? z.strictObject({});
  const create = d.create as (...args: unknown[]) => unknown;
  const engine = d.engine as ((o: unknown) => EngineRequirements) | undefined;
  const label = `${kind} plugin ${path}`;
  return {
    name,
    description: (d.description as string | undefined) ?? `plugin ${path}`,
    options,
    create: (o: Record<string, unknown>, env?: WorkloadEnv) => {
      let made: unknown;
      try {
        made = env === undefined ? create.call(def, o) : create.call(def, o, env);
      } catch (e) {
        throw new UserError(`${label}: create() threw: ${firstLines(e)}`);
      }
      const need = kind === 'scheduler' ? ['start', 'onRequest', 'onResult'] : ['start'];
      const missing = made !== null && typeof made === 'object' ? need.filter((m) => typeof (made as Record<string, unknown>)[m] !== 'function') : need;
      if (missing.length > 0) {
        throw new UserError(
          `${label}: create() returned ${made !== null && typeof made === 'object' ? `an object without ${missing.join(', ')}` : describeValue(made)}, expected a ${kind === 'scheduler' ? 'Scheduler (start, onRequest, onResult)' : 'Workload (start)'}`,
        );
      }
      return made as Scheduler & Workload;
    },
    engine: engine
      ? (o: Record<string, unknown>) => {
          try {
            return engine.call(def, o);
          } catch (e) {
            throw new UserError(`${label}: engine() threw: ${firstLines(e)}`);
          }
        }
      : undefined,
    checkTargets: d.checkTargets as WorkloadType['checkTargets'],
  } as unknown as SchedulerType & WorkloadType;
}

/**
 * An error thrown while a simulation ran, as a UserError naming the plugin when its stack passes
 * through one of the plugin files (a bug in the user's module is theirs to fix, not an internal
 * error of servesim); any other error unchanged.
 */
export function blamePlugin(e: unknown, plugins: readonly PluginRecord[]): unknown {
  if (!(e instanceof Error) || e instanceof UserError || plugins.length === 0) return e;
  const stack = e.stack ?? '';
  const p = plugins.find((x) => stack.includes(pathToFileURL(x.path).href) || stack.includes(x.path));
  if (!p) return e;
  const frames = stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 5)
    .map((l) => `  ${l.trim()}`)
    .join('\n');
  return new UserError(`${p.kind} plugin ${p.path} threw during the run: ${e.name === 'Error' ? '' : `${e.name}: `}${e.message}\n${frames}`);
}
