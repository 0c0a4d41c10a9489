/**
 * A JSON parser that keeps where each value sits in the text, so that a manifest's errors, its
 * editor diagnostics and its CodeLenses can point at the entry and field they are about.
 * JSON.parse gives neither positions nor duplicate keys, which a manifest must refuse.
 */
export type JsonNode =
  | { kind: 'object'; start: number; end: number; members: JsonMember[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'value'; start: number; end: number; value: string | number | boolean | null };

export interface JsonMember {
  key: string;
  keyStart: number;
  value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

export function parseJsonTree(text: string): JsonNode {
  let at = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at ${lineColumn(text, at)}`, at);
  };
  const skipSpace = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const expect = (char: string) => {
    if (text[at] !== char) fail(`expected "${char}"${text[at] === undefined ? ' before the end' : `, found "${text[at]}"`}`);
    at++;
  };
  const parseString = (): string => {
    const start = at;
    expect('"');
    while (at < text.length && text[at] !== '"') {
      if (text[at] === '\\') at++;
      else if (text.charCodeAt(at) < 0x20) fail('a control character inside a string');
      at++;
    }
    expect('"');
    try {
      return JSON.parse(text.slice(start, at)) as string;
    } catch {
      at = start;
      return fail('a malformed escape in a string');
    }
  };
  const parseValue = (): JsonNode => {
    skipSpace();
    const start = at;
    const char = text[at];
    if (char === '{') {
      at++;
      const members: JsonMember[] = [];
      skipSpace();
      if (text[at] === '}') return { kind: 'object', start, end: ++at, members };
      for (;;) {
        skipSpace();
        const keyStart = at;
        if (text[at] !== '"') fail('expected a quoted field name');
        const key = parseString();
        if (members.some((m) => m.key === key)) {
          at = keyStart;
          fail(`field "${key}" appears twice`);
        }
        skipSpace();
        expect(':');
        members.push({ key, keyStart, value: parseValue() });
        skipSpace();
        if (text[at] === ',') {
          at++;
          continue;
        }
        expect('}');
        return { kind: 'object', start, end: at, members };
      }
    }
    if (char === '[') {
      at++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[at] === ']') return { kind: 'array', start, end: ++at, items };
      for (;;) {
        items.push(parseValue());
        skipSpace();
        if (text[at] === ',') {
          at++;
          continue;
        }
        expect(']');
        return { kind: 'array', start, end: at, items };
      }
    }
    if (char === '"') return { kind: 'value', start, value: parseString(), end: at };
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at, at + 400));
    if (!literal) return fail(char === undefined ? 'unexpected end of the file' : `unexpected "${char}"`);
    at += literal[0].length;
    return { kind: 'value', start, end: at, value: JSON.parse(literal[0]) as string | number | boolean | null };
  };
  const root = parseValue();
  skipSpace();
  if (at < text.length) fail('unexpected text after the end');
  return root;
}

/** The plain JavaScript value of a node. */
export function jsonValue(node: JsonNode): unknown {
  if (node.kind === 'value') return node.value;
  if (node.kind === 'array') return node.items.map(jsonValue);
  return Object.fromEntries(node.members.map((m) => [m.key, jsonValue(m.value)]));
}

/** "line L, column C", both from 1, as editors count them. */
export function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}
