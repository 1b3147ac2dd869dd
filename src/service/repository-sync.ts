/**
 * Brings the registry in line with the repository: for each model, the highest version is prepared
 * (read, converted, quantized as configured), loaded and warmed up beside the serving one, and only
 * then serves; the version it replaces finishes its requests and is unloaded. A version that fails
 * is logged, marked UNAVAILABLE with its reason, never replaces the serving one, and is retried by
 * polling only once its files change (a rescan by signal always retries it). Models gone from the repository are unloaded.
 * Syncs run one at a time; one asked for while another runs follows it once.
 */
import { StartupError } from '../errors.js';
import type { ModelEntry, VersionEntry } from '../pipeline/repository.js';
import type { PreparedModel } from '../pipeline/prepare.js';
import type { ModelRegistry } from './model-registry.js';
import type { ModelVersion } from './model-version.js';

export interface SyncDeps {
  scan(): Promise<ModelEntry[]>;
  prepare(v: VersionEntry): Promise<PreparedModel>;
  /** Changes when the version's files change (a failed version is retried then). */
  stamp(v: VersionEntry): Promise<string>;
  /** Throws when the version would not fit in memory beside what is loaded. */
  checkRoom(p: PreparedModel): void;
  load(p: PreparedModel): Promise<ModelVersion>;
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** A version started or stopped serving (metrics). */
  onServing?(v: ModelVersion, serving: boolean): void;
}

export interface SyncOutcome {
  loaded: string[];
  failed: { model: string; version: string; reason: string }[];
  unloaded: string[];
}

export class RepositorySync {
  /** The last sync started (or finished): the next one runs after it. */
  private chain: Promise<unknown> = Promise.resolve();
  /** A sync asked for and not started yet: later asks join it. */
  private pending: { promise: Promise<SyncOutcome>; join(retryFailed: boolean): void } | undefined;
  /** The stamp of each version that failed, by `name/version`. */
  private readonly failedAt = new Map<string, string>();
  private queued: { promise: Promise<SyncOutcome>; retryFailed: boolean } | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly deps: SyncDeps,
  ) {}

  /**
   * At start: any problem is fatal (StartupError), and every model must load. Later (poll,
   * SIGHUP): problems are logged and what serves keeps serving.
   */
  async initial(): Promise<SyncOutcome> {
    const entries = await this.deps.scan();
    if (entries.length === 0) throw new StartupError('the model repository holds no model');
    const broken = entries.find((e) => e.error !== undefined);
    if (broken) throw new StartupError(`model '${broken.name}': ${broken.error}`);
    // Every name is known before the first load: requests for other names get 404, not 503.
    for (const e of entries) this.registry.track(e.name, e.versions.map((v) => v.version));
    const outcome = await this.apply(entries, { retryFailed: true, strict: true });
    return outcome;
  }

  /** Rescans; `retryFailed` (SIGHUP) also retries versions that failed before. Coalesces calls. */
  rescan(retryFailed = false): Promise<SyncOutcome> {
    if (this.pending) {
      this.pending.join(retryFailed);
      return this.pending.promise;
    }
    let retry = retryFailed;
    const promise = this.chain.then(() => {
      this.pending = undefined;
      return this.scanAndApply(retry);
    });
    this.pending = { promise, join: (r) => (retry ||= r) };
    this.chain = promise.catch(() => undefined);
    return promise;
  }

  private async scanAndApply(retryFailed: boolean): Promise<SyncOutcome> {
    const entries = await this.deps.scan();
    return this.apply(entries, { retryFailed, strict: false });
  }

  private async apply(entries: ModelEntry[], opts: { retryFailed: boolean; strict: boolean }): Promise<SyncOutcome> {
    const outcome: SyncOutcome = { loaded: [], failed: [], unloaded: [] };
    const present = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      if (entry.error !== undefined) {
        this.deps.log.error({ model: entry.name, err: entry.error }, 'model folder unusable; what serves keeps serving');
        continue;
      }
      this.registry.track(entry.name, entry.versions.map((v) => v.version));
      const target = entry.versions.at(-1);
      if (!target) continue;
      const serving = this.registry.servingOf(entry.name);
      if (serving?.descriptor.version === target.version) continue;
      const state = this.registry.state(entry.name, target.version);
      if (state === 'LOADING' || state === 'READY') continue;
      const key = `${entry.name}/${target.version}`;
      if (state === 'UNAVAILABLE' && !opts.retryFailed && this.failedAt.get(key) === (await this.deps.stamp(target))) continue;
      const swapped = await this.loadVersion(target, opts.strict, outcome);
      if (swapped) await this.retire(swapped, outcome);
    }
    for (const name of this.registry.names.filter((n) => !present.has(n))) {
      // Forgotten first: new requests get 404 while the pinned ones finish.
      const versions = this.registry.loaded.filter((x) => x.descriptor.name === name);
      this.registry.forget(name);
      for (const v of versions) await this.retire(v, outcome);
      this.deps.log.info({ model: name }, 'model removed from the repository: unloaded');
    }
    return outcome;
  }

  /** Loads `target`; on success it serves and the version it replaced is returned. */
  private async loadVersion(target: VersionEntry, strict: boolean, outcome: SyncOutcome): Promise<ModelVersion | undefined> {
    const { name, version } = target;
    this.registry.set(name, version, 'LOADING');
    this.deps.log.info({ model: name, version, from: target.location }, 'loading model version');
    try {
      const prepared = await this.deps.prepare(target);
      this.deps.checkRoom(prepared);
      const loaded = await this.deps.load(prepared);
      const old = this.registry.promote(loaded);
      this.deps.onServing?.(loaded, true);
      outcome.loaded.push(`${name}/${version}`);
      this.deps.log.info({ model: name, version, engine: loaded.engine, ...loaded.timings, replaces: old?.descriptor.version }, 'model version serving');
      return old;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.failedAt.set(`${name}/${version}`, await this.deps.stamp(target).catch(() => 'unknown'));
      this.registry.set(name, version, 'UNAVAILABLE', reason);
      outcome.failed.push({ model: name, version, reason });
      if (strict) throw err;
      this.deps.log.error({ model: name, version, err: reason }, 'model version failed to load; the serving version (if any) keeps serving');
      return undefined;
    }
  }

  /** Stops `v` taking new requests, lets its pinned requests finish, then releases its engine. */
  private async retire(v: ModelVersion, outcome: SyncOutcome): Promise<void> {
    const { name, version } = v.descriptor;
    this.registry.set(name, version, 'UNLOADING');
    this.deps.onServing?.(v, false);
    await v.retire();
    this.registry.drop(name, version);
    outcome.unloaded.push(`${name}/${version}`);
    this.deps.log.info({ model: name, version }, 'model version unloaded');
  }
}
