// @npmcli/config ships no types; this is the part of its API we use.
declare module '@npmcli/config' {
  interface ConfigOptions {
    npmPath: string;
    definitions: Record<string, unknown>;
    shorthands: Record<string, string[]>;
    flatten: (obj: Record<string, unknown>, flat?: Record<string, unknown>) => Record<string, unknown>;
    argv?: string[];
    cwd?: string;
    env?: Record<string, string | undefined>;
  }
  export default class Config {
    constructor(opts: ConfigOptions);
    load(): Promise<void>;
    readonly flat: Record<string, unknown>;
  }
}
