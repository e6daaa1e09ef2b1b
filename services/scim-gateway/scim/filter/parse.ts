import { ScimError, ScimType } from "../error.ts";
import { COMPARE_OPS, type CompareOp, type FilterNode, type FilterValue } from "./ast.ts";

type Token =
  | { type: "word"; text: string; at: number }
  | { type: "string"; value: string; at: number }
  | { type: "punct"; text: "(" | ")" | "[" | "]"; at: number };

const MAX_FILTER_LENGTH = 4096;
const MAX_DEPTH = 50;

function invalid(detail: string): ScimError {
  return ScimError.badRequest(ScimType.InvalidFilter, `Invalid filter: ${detail}`);
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i += 1;
    } else if (c === "(" || c === ")" || c === "[" || c === "]") {
      tokens.push({ type: "punct", text: c, at: i });
      i += 1;
    } else if (c === '"') {
      // A JSON string (RFC 7644 §3.4.2.2: compValue strings are JSON strings).
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === "\\" ? 2 : 1;
      if (j >= input.length) throw invalid(`unterminated string starting at position ${i + 1}`);
      try {
        tokens.push({ type: "string", value: JSON.parse(input.slice(i, j + 1)) as string, at: i });
      } catch {
        throw invalid(`bad escape in the string starting at position ${i + 1}`);
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < input.length && !/[\s()[\]"]/.test(input[j]!)) j += 1;
      tokens.push({ type: "word", text: input.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

const ATTR_PATH = /^(urn:[\w.:-]+:)?[A-Za-z$][\w$-]*(\.[A-Za-z$][\w$-]*)?$/i;

/**
 * Parses a filter. Precedence: `not` binds tightest, then `and`, then `or`; parentheses group;
 * `attr[filter]` is a value path. Operators and keywords are case-insensitive.
 * @throws ScimError 400 invalidFilter, with the position of the problem.
 */
export function parseFilter(input: string): FilterNode {
  if (input.length > MAX_FILTER_LENGTH) throw invalid(`longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens = tokenize(input);
  let pos = 0;
  const peek = () => tokens[pos];
  const describe = (t: Token | undefined) =>
    t === undefined
      ? "end of filter"
      : t.type === "string"
        ? `"${t.value}"`
        : `"${t.text}" at position ${t.at + 1}`;
  const isWord = (t: Token | undefined, word: string) => t?.type === "word" && t.text.toLowerCase() === word;
  const expectPunct = (text: string) => {
    const t = peek();
    if (t?.type !== "punct" || t.text !== text) throw invalid(`expected "${text}" but found ${describe(t)}`);
    pos += 1;
  };

  const parseOr = (depth: number): FilterNode => {
    let left = parseAnd(depth);
    while (isWord(peek(), "or")) {
      pos += 1;
      left = { kind: "or", left, right: parseAnd(depth) };
    }
    return left;
  };
  const parseAnd = (depth: number): FilterNode => {
    let left = parseUnary(depth);
    while (isWord(peek(), "and")) {
      pos += 1;
      left = { kind: "and", left, right: parseUnary(depth) };
    }
    return left;
  };
  const parseUnary = (depth: number): FilterNode => {
    if (depth > MAX_DEPTH) throw invalid("nested too deeply");
    const t = peek();
    if (isWord(t, "not")) {
      pos += 1;
      expectPunct("(");
      const filter = parseOr(depth + 1);
      expectPunct(")");
      return { kind: "not", filter };
    }
    if (t?.type === "punct" && t.text === "(") {
      pos += 1;
      const filter = parseOr(depth + 1);
      expectPunct(")");
      return filter;
    }
    return parseAttributeExpression(depth);
  };
  const parseAttributeExpression = (depth: number): FilterNode => {
    const t = peek();
    if (t?.type !== "word" || !ATTR_PATH.test(t.text))
      throw invalid(`expected an attribute name but found ${describe(t)}`);
    pos += 1;
    const path = t.text;
    const next = peek();
    if (next?.type === "punct" && next.text === "[") {
      pos += 1;
      const filter = parseOr(depth + 1);
      expectPunct("]");
      return { kind: "valuePath", path, filter };
    }
    if (next?.type !== "word")
      throw invalid(`expected an operator after "${path}" but found ${describe(next)}`);
    const op = next.text.toLowerCase();
    pos += 1;
    if (op === "pr") return { kind: "present", path };
    if (!COMPARE_OPS.includes(op as CompareOp)) throw invalid(`unknown operator "${next.text}"`);
    return { kind: "compare", path, op: op as CompareOp, value: parseValue() };
  };
  const parseValue = (): FilterValue => {
    const t = peek();
    pos += 1;
    if (t?.type === "string") return t.value;
    if (t?.type === "word") {
      const lower = t.text.toLowerCase();
      if (lower === "true") return true;
      if (lower === "false") return false;
      if (lower === "null") return null;
      if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t.text)) return Number(t.text);
    }
    throw invalid(`expected a value (string, number, true, false or null) but found ${describe(t)}`);
  };

  if (tokens.length === 0) throw invalid("it is empty");
  const node = parseOr(0);
  if (pos < tokens.length) throw invalid(`unexpected ${describe(tokens[pos])}`);
  return node;
}
