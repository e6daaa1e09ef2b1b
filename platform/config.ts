/**
 * Configuration comes only from environment variables (12-factor). Each service declares what it
 * reads with a small reader; every problem is collected so one start-up reports all bad variables.
 */

/** Thrown when one or more variables are missing or invalid; the message names each of them. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
}

/** Typed accessors over an environment; each records a problem instead of throwing at once. */
export interface EnvReader {
  string(name: string, fallback?: string): string;
  int(name: string, fallback: number | undefined, range?: { min?: number; max?: number }): number;
  url(name: string, protocols: readonly string[], fallback?: string): string;
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  optional(name: string): string | undefined;
}

/**
 * Builds a config object with `build(reader)`; throws {@link ConfigError} listing every problem.
 * @example const cfg = loadConfig(process.env, (env) => ({ port: env.int("PORT", 8080) }));
 */
export function loadConfig<T>(env: Record<string, string | undefined>, build: (env: EnvReader) => T): T {
  const problems: string[] = [];
  const raw = (name: string, fallback?: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? fallback : value;
  };
  const reader: EnvReader = {
    string(name, fallback) {
      const value = raw(name, fallback);
      if (value === undefined) problems.push(`${name} is required but not set`);
      return value ?? "";
    },
    int(name, fallback, range = {}) {
      const value = raw(name, fallback === undefined ? undefined : String(fallback));
      if (value === undefined) {
        problems.push(`${name} is required but not set`);
        return 0;
      }
      const n = Number(value);
      const { min = -Infinity, max = Infinity } = range;
      if (!/^-?\d+$/.test(value) || n < min || n > max) {
        problems.push(`${name} must be an integer${describeRange(min, max)} (got "${value}")`);
        return 0;
      }
      return n;
    },
    url(name, protocols, fallback) {
      const value = raw(name, fallback);
      if (value === undefined) {
        problems.push(`${name} is required but not set`);
        return "";
      }
      if (!URL.canParse(value) || !protocols.includes(new URL(value).protocol.replace(/:$/, ""))) {
        problems.push(`${name} must be a ${protocols.join(" or ")} URL (got "${redact(value)}")`);
      }
      return value;
    },
    oneOf(name, allowed, fallback) {
      const value = raw(name, fallback) as (typeof allowed)[number];
      if (!allowed.includes(value))
        problems.push(`${name} must be one of ${allowed.join(", ")} (got "${value}")`);
      return value;
    },
    optional(name) {
      return raw(name);
    },
  };
  const config = build(reader);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function describeRange(min: number, max: number): string {
  if (min > -Infinity && max < Infinity) return ` between ${min} and ${max}`;
  if (min > -Infinity) return ` >= ${min}`;
  if (max < Infinity) return ` <= ${max}`;
  return "";
}

/** Hides credentials in a URL so a config error never prints a password. */
export function redact(value: string): string {
  return value.replace(/\/\/([^/@]*)@/, "//***@");
}
