/**
 * Which models and versions the service holds, and which version of each serves by default
 * (Triton's default policy: the highest version number). Answers "which loaded version does this
 * request mean" with typed errors (404 unknown model or version, 503 not loaded yet or failed), and
 * Triton's repository index.
 */
import { AppError, invalidRequest, notReady } from '../errors.js';
import type { ModelVersion } from './model-version.js';

/** Triton's model states, as the repository index reports them. */
export type VersionState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

export interface ModelRef {
  /** Absent: the default model (MODEL_NAME, or the only one). */
  name?: string;
  /** Absent or empty (as gRPC sends it): the serving version. */
  version?: string;
}

export interface IndexEntry {
  name: string;
  version: string;
  state: VersionState;
  reason: string;
}

interface VersionRecord {
  state: VersionState;
  reason: string;
  loaded?: ModelVersion;
}

interface ModelRecord {
  name: string;
  versions: Map<string, VersionRecord>;
  /** Versions present in the repository (from the last scan), whether loaded or not. */
  available: string[];
  serving?: ModelVersion;
}

const byNumber = (a: string, b: string): number => Number(a) - Number(b) || a.localeCompare(b);

export class ModelRegistry {
  private readonly models = new Map<string, ModelRecord>();

  /** `defaultName`: MODEL_NAME when it names a served model; otherwise the only model is the default. */
  constructor(private readonly defaultName?: string) {}

  get names(): string[] {
    return [...this.models.keys()].sort();
  }

  has(name: string): boolean {
    return this.models.has(name);
  }

  /** Every model's serving version (undefined while a model has none). */
  get serving(): ModelVersion[] {
    return [...this.models.values()].flatMap((m) => (m.serving ? [m.serving] : []));
  }

  /** Every loaded version, serving or not. */
  get loaded(): ModelVersion[] {
    return [...this.models.values()].flatMap((m) => [...m.versions.values()].flatMap((v) => (v.loaded ? [v.loaded] : [])));
  }

  /** Whether any loaded version satisfies `test`; allocates nothing (the decode scheduler asks it for every decode). */
  someLoaded(test: (v: ModelVersion) => boolean): boolean {
    for (const m of this.models.values()) for (const v of m.versions.values()) if (v.loaded && test(v.loaded)) return true;
    return false;
  }

  /** Records what the last scan found for `name`. */
  track(name: string, available: readonly string[]): void {
    const m = this.models.get(name) ?? { name, versions: new Map(), available: [] };
    m.available = [...available].sort(byNumber);
    this.models.set(name, m);
  }

  forget(name: string): void {
    this.models.delete(name);
  }

  state(name: string, version: string): VersionState | undefined {
    return this.models.get(name)?.versions.get(version)?.state;
  }

  set(name: string, version: string, state: VersionState, reason = '', loaded?: ModelVersion): void {
    const m = this.models.get(name);
    if (!m) return;
    const prior = m.versions.get(version);
    m.versions.set(version, { state, reason, loaded: loaded ?? (state === 'UNAVAILABLE' ? undefined : prior?.loaded) });
  }

  drop(name: string, version: string): void {
    this.models.get(name)?.versions.delete(version);
  }

  /** Makes `v` the version requests without a version get; returns the one it replaces. */
  promote(v: ModelVersion): ModelVersion | undefined {
    const m = this.models.get(v.descriptor.name);
    if (!m) return undefined;
    const old = m.serving;
    m.serving = v;
    this.set(m.name, v.descriptor.version, 'READY', '', v);
    return old === v ? undefined : old;
  }

  servingOf(name: string): ModelVersion | undefined {
    return this.models.get(name)?.serving;
  }

  /** The model name a request without one means. */
  defaultModel(): string {
    if (this.defaultName !== undefined && this.models.has(this.defaultName)) return this.defaultName;
    const names = this.names;
    if (names.length === 1) return names[0];
    const fallback = this.defaultName === undefined ? '' : ` (MODEL_NAME '${this.defaultName}' is not one of them)`;
    throw invalidRequest('model_required', `this server serves several models (${names.join(', ')})${fallback}: name one (/predict?model=<name>)`);
  }

  /**
   * The loaded version `ref` means: 404 for an unknown model or a version not loaded, 503 while
   * the model has no serving version yet (loading, or failed to load).
   */
  resolve(ref: ModelRef = {}): ModelVersion {
    const name = ref.name ?? this.defaultModel();
    const m = this.models.get(name);
    if (!m) {
      if (this.models.size === 0) throw notReady('model_not_ready', 'the models are still loading; retry shortly');
      throw new AppError('not_found', 'unknown_model', `unknown model '${name}'; this server serves: ${this.names.join(', ')}`);
    }
    if (ref.version !== undefined && ref.version !== '') {
      const v = m.versions.get(ref.version);
      if (v?.loaded && v.state === 'READY') return v.loaded;
      if (v?.state === 'LOADING') throw notReady('model_not_ready', `model '${name}' version ${ref.version} is still loading; retry shortly`);
      const ready = [...m.versions.entries()].filter(([, r]) => r.state === 'READY').map(([k]) => k).sort(byNumber);
      throw new AppError('not_found', 'unknown_version', `model '${name}' has no version '${ref.version}' loaded; loaded: ${ready.join(', ') || 'none'}`);
    }
    if (m.serving) return m.serving;
    const failed = [...m.versions.values()].find((r) => r.state === 'UNAVAILABLE' && r.reason !== '');
    if (failed && ![...m.versions.values()].some((r) => r.state === 'LOADING')) {
      throw new AppError('not_ready', 'model_failed', `model '${name}' failed to load: ${failed.reason}`);
    }
    throw notReady('model_not_ready', `model '${name}' is still loading; retry shortly`);
  }

  /** Triton's repository index: every version found or loaded, with its state. */
  index(): IndexEntry[] {
    const out: IndexEntry[] = [];
    for (const m of [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const versions = new Set([...m.available, ...m.versions.keys()]);
      for (const version of [...versions].sort(byNumber)) {
        const r = m.versions.get(version);
        out.push({ name: m.name, version, state: r?.state ?? 'UNAVAILABLE', reason: r ? r.reason : 'not loaded: only the highest version serves' });
      }
    }
    return out;
  }
}
