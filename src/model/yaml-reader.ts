/**
 * Field-by-field validation of a parsed model.yaml: every complaint names the file and the field,
 * so that a typo in a descriptor stops the start instead of serving garbage.
 */
import { StartupError } from '../errors.js';

export type Json = unknown;

export class Reader {
  constructor(readonly file: string) {}

  fail(field: string, expected: string): never {
    throw new StartupError(`model descriptor ${this.file}: field "${field}" must be ${expected}`);
  }

  obj(v: Json, field: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'a mapping');
    return v as Record<string, Json>;
  }

  str(v: Json, field: string): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(field, 'a non-empty string');
    return v;
  }

  num(v: Json, field: string, min = 0): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) this.fail(field, `a number >= ${min}`);
    return v;
  }

  oneOf<T extends string>(v: Json, field: string, allowed: readonly T[]): T {
    const found = allowed.find((a) => a === v);
    if (found === undefined) this.fail(field, `one of ${allowed.join(', ')}`);
    return found;
  }

  int(v: Json, field: string, { min, max }: { min: number; max: number }): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(field, `an integer from ${min} to ${max}`);
    return v;
  }

  triple(v: Json, field: string): [number, number, number] {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      this.fail(field, 'a list of 3 numbers');
    }
    return [v[0] as number, v[1] as number, v[2] as number];
  }

  /** Refuses keys outside `allowed` (a misspelt key would otherwise be silently ignored). */
  only(o: Record<string, Json>, field: string, allowed: readonly string[]): void {
    const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
    if (unknown.length > 0) {
      const where = field === '(root)' ? '' : ` in "${field}"`;
      throw new StartupError(`model descriptor ${this.file}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}${where}; known: ${allowed.join(', ')}`);
    }
  }
}
