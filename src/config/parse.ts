/** Parsers for environment values: each returns the default when unset and names the variable when wrong. */
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

export function parseString(raw: string | undefined, _name: string, fallback: string): string {
  return isUnset(raw) ? fallback : raw.trim();
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

export function parseList(raw: string | undefined): string[] {
  if (isUnset(raw)) return [];
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
