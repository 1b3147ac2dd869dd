/** Parsers for environment values: each returns the default when unset and names the variable when wrong. */
import path from 'node:path';
import { StartupError } from '../errors.js';

const bad = (name: string, raw: string, expected: string): StartupError =>
  new StartupError(`invalid ${name}=${JSON.stringify(raw)}: expected ${expected}`);

const isUnset = (raw: string | undefined): raw is undefined => raw === undefined || raw.trim() === '';

export function parseInteger(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (isUnset(raw)) return fallback;
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) throw bad(name, raw, `an integer from ${min} to ${max}`);
  const value = Number(text);
  if (value < min || value > max) throw bad(name, raw, `an integer from ${min} to ${max}`);
  return value;
}

/** An override of a value found elsewhere (the model descriptor): undefined when unset. */
export function optionalInteger(raw: string | undefined, name: string, { min, max }: { min: number; max: number }): number | undefined {
  return isUnset(raw) ? undefined : parseInteger(raw, name, min, min, max);
}

export function parseString(raw: string | undefined, _name: string, fallback: string): string {
  return isUnset(raw) ? fallback : raw.trim();
}

/** An optional enum (a model setting with no global default): undefined when unset. */
export function optionalEnum<T extends string>(raw: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  return isUnset(raw) ? undefined : parseEnum(raw, name, allowed, allowed[0]);
}

/** An optional file path, made absolute: undefined when unset. */
export function optionalPath(raw: string | undefined, _name: string): string | undefined {
  return isUnset(raw) ? undefined : path.resolve(raw.trim());
}

/** Model names appear in URL paths (`/v2/models/<name>`) and metric labels: letters, digits, `_`, `.`, `-`. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parseModelName(raw: string | undefined, name: string, fallback: string): string {
  if (isUnset(raw)) return fallback;
  const text = raw.trim();
  if (!MODEL_NAME_PATTERN.test(text) || text.length > 128) throw bad(name, raw, 'a model name of letters, digits, "_", "." and "-" (at most 128, starting with a letter or digit)');
  return text;
}

export function parseEnum<T extends string>(raw: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (isUnset(raw)) return fallback;
  const text = raw.trim().toLowerCase();
  const found = allowed.find((a) => a === text);
  if (found === undefined) throw bad(name, raw, `one of ${allowed.join(', ')}`);
  return found;
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

/** Bytes, e.g. `10485760`, `512kb`, `10mb` (binary multiples). */
export function parseBytes(raw: string | undefined, name: string, fallback: number): number {
  if (isUnset(raw)) return fallback;
  const m = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) === 0) throw bad(name, raw, 'a positive size such as 10485760, 512kb or 10mb');
  return Number(m[1]) * unit;
}

/**
 * Secret keys, comma-separated. Unset or empty: none. Set but holding no key (`", ,"`), or a key
 * with whitespace inside (no `Authorization: Bearer` header can carry it), cannot be what the user
 * meant, and would leave authentication silently off or a key unusable: a start-up error. The
 * message never repeats the value (it holds secrets).
 */
export function parseKeyList(raw: string | undefined, name: string): string[] {
  if (raw === undefined || raw === '') return [];
  const keys = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (keys.length === 0) {
    throw new StartupError(`invalid ${name}: it is set but holds no key (only commas or spaces); give at least one key, or unset ${name} to turn authentication off`);
  }
  const spaced = keys.findIndex((k) => /\s/.test(k));
  if (spaced >= 0) throw new StartupError(`invalid ${name}: key ${spaced + 1} of ${keys.length} contains whitespace, which a bearer token cannot carry`);
  return keys;
}
