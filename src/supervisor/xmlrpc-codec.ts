// XML-RPC bodies <-> values, through fast-xml-parser (validated, no DOCTYPE): the only XML code of the RPC interface.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** A value XML-RPC carries; `null` is sent as an empty string, as supervisord has no nil. */
export type RpcValue = string | number | boolean | RpcValue[] | { [key: string]: RpcValue } | null;

/** A value to send: whole numbers go out as `<int>`, others as `<double>`. */
export type RpcOut = RpcValue;

/** A decoded `<methodCall>`. */
export interface MethodCall {
  method: string;
  params: RpcValue[];
}

/** Why a body could not be decoded. */
export class BadRequest extends Error {}

type Node = Record<string, unknown>;

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true, ignoreDeclaration: true, ignorePiTags: true });
const builder = new XMLBuilder({ format: false, suppressEmptyNode: false, processEntities: true });

/** Nested values deeper than this are refused (a request is small; a deep one is an attack). */
const MAX_DEPTH = 32;

// The element children of a preserveOrder node, skipping whitespace text.
function children(list: unknown): Node[] {
  if (!Array.isArray(list)) return [];
  return (list as Node[]).filter((n) => !('#text' in n) && !(':@' in n && Object.keys(n).length === 1));
}
function tagOf(n: Node): string {
  return Object.keys(n).find((k) => k !== ':@') ?? '';
}
function textOf(list: unknown): string {
  if (!Array.isArray(list)) return '';
  return (list as Node[]).map((n) => (typeof n['#text'] === 'string' ? n['#text'] : '')).join('');
}

function decodeValue(node: Node, depth: number): RpcValue {
  if (depth > MAX_DEPTH) throw new BadRequest(`values nested deeper than ${MAX_DEPTH}`);
  const inner = children(node.value);
  const typed = inner[0];
  if (typed === undefined) return textOf(node.value);
  const tag = tagOf(typed);
  const body = typed[tag];
  const text = textOf(body);
  switch (tag) {
    case 'string':
      return text;
    case 'int':
    case 'i4':
    case 'i8': {
      if (!/^\s*[-+]?\d+\s*$/.test(text)) throw new BadRequest(`<${tag}> holds ${JSON.stringify(text.slice(0, 40))}, not an integer`);
      return Number(text);
    }
    case 'double': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) throw new BadRequest(`<double> holds ${JSON.stringify(text.slice(0, 40))}`);
      return n;
    }
    case 'boolean':
      if (text.trim() !== '0' && text.trim() !== '1') throw new BadRequest('<boolean> must hold 0 or 1');
      return text.trim() === '1';
    case 'base64':
      return Buffer.from(text, 'base64').toString('utf8');
    case 'dateTime.iso8601':
      return text;
    case 'nil':
      return null;
    case 'array': {
      const data = children(body).find((n) => tagOf(n) === 'data');
      return children(data?.data).filter((n) => tagOf(n) === 'value').map((v) => decodeValue(v, depth + 1));
    }
    case 'struct': {
      const out: Record<string, RpcValue> = {};
      for (const m of children(body).filter((n) => tagOf(n) === 'member')) {
        const parts = children(m.member);
        const name = parts.find((n) => tagOf(n) === 'name');
        const value = parts.find((n) => tagOf(n) === 'value');
        if (name === undefined || value === undefined) throw new BadRequest('a <member> needs a <name> and a <value>');
        out[textOf(name.name)] = decodeValue(value, depth + 1);
      }
      return out;
    }
    default:
      throw new BadRequest(`unknown value type <${tag}>`);
  }
}

/** Decodes a request body; throws BadRequest with the reason. */
export function decodeCall(body: string): MethodCall {
  // No DOCTYPE means no entity definitions: nothing to expand, nothing to fetch.
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new BadRequest('DOCTYPE and ENTITY declarations are not accepted');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new BadRequest(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let parsed: unknown;
  try {
    parsed = parser.parse(body);
  } catch (err) {
    // The parser's own limits (nesting, entity expansion) end here.
    throw new BadRequest(`unreadable XML: ${(err as Error).message}`);
  }
  const doc = children(parsed);
  const call = doc.find((n) => tagOf(n) === 'methodCall');
  if (call === undefined) throw new BadRequest('the body is not a <methodCall>');
  const parts = children(call.methodCall);
  const method = textOf(parts.find((n) => tagOf(n) === 'methodName')?.methodName).trim();
  if (method === '') throw new BadRequest('no <methodName>');
  const params = children(parts.find((n) => tagOf(n) === 'params')?.params)
    .filter((n) => tagOf(n) === 'param')
    .map((p) => {
      const value = children(p.param).find((n) => tagOf(n) === 'value');
      if (value === undefined) throw new BadRequest('a <param> without a <value>');
      return decodeValue(value, 0);
    });
  return { method, params };
}

function encodeValue(v: RpcOut): Node {
  if (v === null) return { string: '' };
  if (typeof v === 'string') return { string: v };
  if (typeof v === 'boolean') return { boolean: v ? '1' : '0' };
  if (typeof v === 'number') return Number.isInteger(v) ? { int: String(v) } : { double: String(v) };
  if (Array.isArray(v)) return { array: { data: { value: v.map(encodeValue) } } };
  return { struct: { member: Object.entries(v).map(([name, value]) => ({ name, value: encodeValue(value) })) } };
}

const PROLOGUE = "<?xml version='1.0'?>\n";

/** A `<methodResponse>` carrying one value. */
export function encodeResponse(value: RpcOut): string {
  return PROLOGUE + builder.build({ methodResponse: { params: { param: { value: encodeValue(value) } } } }) + '\n';
}

/** A `<methodResponse>` carrying a fault, as supervisord's xmlrpclib writes it. */
export function encodeFault(code: number, text: string): string {
  const fault = { faultCode: code, faultString: text };
  return PROLOGUE + builder.build({ methodResponse: { fault: { value: encodeValue(fault) } } }) + '\n';
}
