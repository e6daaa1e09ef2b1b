import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExecutionContext } from "ava";

/**
 * Identity-provider request fixtures (tests/fixtures/<idp>/*.json): recorded request shapes with
 * the responses they must get, replayed by one generic test (STYLE.md §13). In expected bodies,
 * "{{any}}" means present with any value, "{{absent}}" means not present, "{{name}}" is a value
 * saved by an earlier step; objects match as subsets, arrays element by element in any order.
 */
export interface FixtureStep {
  request: {
    method: string;
    path: string;
    body?: unknown;
    rawBody?: string;
    contentType?: string;
    token?: string;
    bodyFrom?: string;
    merge?: Record<string, unknown>;
    headers?: Record<string, string>;
  };
  expect: {
    status: number;
    contentType?: string;
    headers?: Record<string, string>;
    body?: unknown;
    exactBody?: unknown;
  };
  save?: Record<string, string>;
  saveBody?: string;
}

export interface Fixture {
  file: string;
  description: string;
  steps: FixtureStep[];
}

export async function loadFixtures(dir: string): Promise<Fixture[]> {
  const fixtures: Fixture[] = [];
  for (const idp of await readdir(dir)) {
    for (const file of (await readdir(join(dir, idp))).filter((f) => f.endsWith(".json")).sort()) {
      const data = JSON.parse(await readFile(join(dir, idp, file), "utf8")) as Omit<Fixture, "file">;
      fixtures.push({ ...data, file: `${idp}/${file}` });
    }
  }
  return fixtures;
}

const substitute = (value: unknown, vars: Record<string, unknown>): unknown => {
  if (typeof value === "string") {
    const whole = /^\{\{(\w+)\}\}$/.exec(value);
    if (whole && whole[1] !== "any" && whole[1] !== "absent" && whole[1]! in vars) return vars[whole[1]!];
    return value.replace(/\{\{(\w+)\}\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
};

/** Returns the first mismatch between `actual` and the expected pattern, or undefined. */
export function mismatch(actual: unknown, expected: unknown, path = "body"): string | undefined {
  if (expected === "{{any}}") return actual === undefined ? `${path} is missing` : undefined;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path}: expected ${expected.length} element(s), got ${JSON.stringify(actual)?.slice(0, 300)}`;
    }
    // Arrays match in any order (member lists and multi-valued attributes are sets).
    const unused = new Set(actual.keys());
    for (let i = 0; i < expected.length; i += 1) {
      const hit = [...unused].find((j) => mismatch(actual[j], expected[i]) === undefined);
      if (hit === undefined) {
        return `${path}: no element matches ${JSON.stringify(expected[i])} in ${JSON.stringify(actual).slice(0, 400)}`;
      }
      unused.delete(hit);
    }
    return undefined;
  }
  if (expected && typeof expected === "object") {
    if (!actual || typeof actual !== "object")
      return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const present = key in actual;
      if (value === "{{absent}}") {
        if (present) return `${path}.${key} should be absent`;
        continue;
      }
      const m = mismatch((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
      if (m) return m;
    }
    return undefined;
  }
  return actual === expected
    ? undefined
    : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

const get = (obj: unknown, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>(
      (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );

/** Replays one fixture against a SCIM base URL with a tenant token. */
export async function replay(
  t: ExecutionContext,
  fixture: Fixture,
  scimUrl: string,
  token: string,
): Promise<void> {
  const vars: Record<string, unknown> = {};
  const bodies: Record<string, Record<string, unknown>> = {};
  for (const [index, step] of fixture.steps.entries()) {
    const where = `${fixture.file} step ${index + 1} (${step.request.method} ${step.request.path})`;
    const req = substitute(step.request, vars) as FixtureStep["request"];
    let body: string | undefined = req.rawBody;
    if (req.bodyFrom) body = JSON.stringify({ ...bodies[req.bodyFrom], ...req.merge });
    else if (req.body !== undefined) body = JSON.stringify(req.body);
    const response = await fetch(`${scimUrl}${req.path}`, {
      method: req.method,
      headers: {
        authorization: `Bearer ${req.token ?? token}`,
        accept: "application/scim+json",
        ...(body !== undefined
          ? { "content-type": req.contentType ?? "application/scim+json; charset=utf-8" }
          : {}),
        ...req.headers,
      },
      body,
    });
    const text = await response.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    const expected = substitute(step.expect, vars) as FixtureStep["expect"];
    t.is(response.status, expected.status, `${where}: status (body: ${text.slice(0, 400)})`);
    if (expected.contentType)
      t.true(
        response.headers.get("content-type")?.startsWith(expected.contentType),
        `${where}: content type`,
      );
    for (const [name, value] of Object.entries(expected.headers ?? {})) {
      const actual = response.headers.get(name);
      t.true(
        value === "{{any}}" ? actual !== null : actual === value,
        `${where}: header ${name} is ${actual}`,
      );
    }
    if (expected.exactBody !== undefined) t.deepEqual(json, expected.exactBody, where);
    if (expected.body !== undefined) {
      const m = mismatch(json, expected.body);
      t.is(m, undefined, `${where}: ${m}`);
    }
    for (const [name, path] of Object.entries(step.save ?? {})) vars[name] = get(json, path);
    if (step.saveBody) bodies[step.saveBody] = json as Record<string, unknown>;
  }
}
