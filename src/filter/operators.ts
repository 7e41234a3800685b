// The filter operators, in one table: name, argument kind, help text, the flow types each applies to, and
// the matcher. The parser reads its grammar from this table, and `flowtx --help-filters` and
// docs/filters.md are rendered from it. Semantics follow current mitmproxy (`mitmproxy/flowfilter.py`):
// every pattern ignores case, body operators search decoded bodies, an operator is false on flow types it
// does not cover.

import type { FlowType } from '../model/state.js';
import type { PatternKind } from './pyregex.js';
import { binary } from '../model/byte-string.js';
import type { FlowView } from '../model/view.js';

export type Matcher = (view: FlowView) => boolean;

/** What follows the operator: nothing, a Python regex matched against bytes or text, or an integer. */
export type ArgumentKind = 'none' | PatternKind | 'int';

interface OperatorBase {
  /** Without the `~`. */
  name: string;
  help: string;
  /** The flow types the operator can be true for. */
  types: readonly FlowType[];
}

export interface UnaryOperator extends OperatorBase {
  argument: 'none';
  match: Matcher;
}

export interface PatternOperator extends OperatorBase {
  argument: PatternKind;
  /** Python flags mitmproxy compiles this operator's pattern with (besides IGNORECASE). */
  multiline?: boolean;
  dotall?: boolean;
  match: (view: FlowView, pattern: RegExp) => boolean;
}

export interface IntOperator extends OperatorBase {
  argument: 'int';
  match: (view: FlowView, value: number) => boolean;
}

export type Operator = UnaryOperator | PatternOperator | IntOperator;

const ALL: readonly FlowType[] = ['http', 'tcp', 'udp', 'dns'];
const HTTP: readonly FlowType[] = ['http'];
const BODIES: readonly FlowType[] = ['http', 'tcp', 'udp', 'dns'];

// `~a`: mitmproxy's asset content types, matched case-sensitively (its own fixed patterns).
const ASSET = /text\/javascript|application\/x-javascript|application\/javascript|text\/css|image\/|font\/|application\/font/;

type Side = 'request' | 'response' | 'both';

function sides(side: Side): ('request' | 'response')[] {
  return side === 'both' ? ['request', 'response'] : [side];
}

/** `~b`, `~bq`, `~bs`: bodies, WebSocket and TCP/UDP messages, DNS message text of the given side(s). */
function bodyMatch(side: Side): PatternOperator['match'] {
  const fromClient = (c: boolean): boolean => side === 'both' || (side === 'request') === c;
  return (s, re) => {
    switch (s.type) {
      case 'http': {
        for (const part of sides(side)) {
          const body = s.body(part);
          if (body !== null && re.test(body)) return true;
        }
        return s.websocket?.messages.some((m) => fromClient(m.fromClient) && re.test(binary(m.content))) ?? false;
      }
      case 'tcp':
      case 'udp':
        return s.messages.some((m) => fromClient(m.fromClient) && re.test(binary(m.content)));
      case 'dns':
        return sides(side).some((part) => {
          const text = s.dnsText(part);
          return text !== null && re.test(text);
        });
    }
  };
}

function headerMatch(side: Side): PatternOperator['match'] {
  return (s, re) =>
    s.isHttp &&
    sides(side).some((part) => {
      const block = s.headerBlock(part);
      return block !== null && re.test(block);
    });
}

function contentTypeMatch(side: Side): PatternOperator['match'] {
  return (s, re) => s.isHttp && sides(side).some((part) => s.contentTypes(part).some((value) => re.test(value)));
}

function ofType(type: FlowType): UnaryOperator {
  return { name: type, argument: 'none', help: `${type === 'dns' ? 'DNS' : type.toUpperCase()} flows`, types: [type], match: (s) => s.type === type };
}

function textMatch(value: string | undefined, re: RegExp): boolean {
  return value !== undefined && re.test(value);
}

/** Every operator, in the order `--help-filters` lists them. */
export const OPERATORS: readonly Operator[] = [
  { name: 'all', argument: 'none', help: 'All flows', types: ALL, match: () => true },
  { name: 'a', argument: 'none', help: 'Asset in the response: CSS, JavaScript, images, fonts (by Content-Type)', types: HTTP,
    match: (s) => s.contentTypes('response').some((v) => ASSET.test(v)) },
  { name: 'b', argument: 'bytes', dotall: true, help: 'Body of request or response (content-encoding undone), any WebSocket, TCP or UDP message, or DNS message text', types: BODIES, match: bodyMatch('both') },
  { name: 'bq', argument: 'bytes', dotall: true, help: 'Request body, or a message sent by the client', types: BODIES, match: bodyMatch('request') },
  { name: 'bs', argument: 'bytes', dotall: true, help: 'Response body, or a message sent by the server', types: BODIES, match: bodyMatch('response') },
  { name: 'c', argument: 'int', help: 'HTTP response status code', types: HTTP, match: (s, code) => s.httpResponse?.statusCode === code },
  { name: 'comment', argument: 'text', multiline: true, help: 'Flow comment', types: ALL, match: (s, re) => re.test(s.comment) },
  { name: 'd', argument: 'text', help: 'Domain: the request host or the Host header / :authority host', types: HTTP,
    match: (s, re) => s.isHttp && (re.test(s.request.host) || re.test(s.prettyHost)) },
  ofType('dns'),
  { name: 'dst', argument: 'text', help: 'Destination address "host:port" (the server connection address)', types: ALL, match: (s, re) => textMatch(s.destination, re) },
  { name: 'e', argument: 'none', help: 'Flows with an error', types: ALL, match: (s) => s.error !== null },
  { name: 'h', argument: 'bytes', multiline: true, help: 'Header line ("name: value") of request or response', types: HTTP, match: headerMatch('both') },
  { name: 'hq', argument: 'bytes', multiline: true, help: 'Request header line', types: HTTP, match: headerMatch('request') },
  { name: 'hs', argument: 'bytes', multiline: true, help: 'Response header line', types: HTTP, match: headerMatch('response') },
  ofType('http'),
  { name: 'm', argument: 'bytes', help: 'Request method', types: HTTP, match: (s, re) => s.isHttp && re.test(s.request.method) },
  { name: 'marked', argument: 'none', help: 'Marked flows', types: ALL, match: (s) => s.marked !== '' },
  { name: 'marker', argument: 'text', help: 'The marker of marked flows (":default:", an emoji name, a character)', types: ALL, match: (s, re) => re.test(s.marked) },
  { name: 'meta', argument: 'text', multiline: true, help: 'Flow metadata, as "key: value" lines', types: ALL, match: (s, re) => re.test(s.metadataText) },
  { name: 'q', argument: 'none', help: 'Requests without a response (HTTP, DNS)', types: ['http', 'dns'], match: (s) => (s.isHttp || s.type === 'dns') && s.response === null },
  { name: 'replay', argument: 'none', help: 'Replayed flows', types: ALL, match: (s) => s.isReplay !== null },
  { name: 'replayq', argument: 'none', help: 'Flows whose request was replayed (client replay)', types: ALL, match: (s) => s.isReplay === 'request' },
  { name: 'replays', argument: 'none', help: 'Flows whose response was replayed (server replay)', types: ALL, match: (s) => s.isReplay === 'response' },
  { name: 's', argument: 'none', help: 'Flows with a response (HTTP, DNS)', types: ['http', 'dns'], match: (s) => (s.isHttp || s.type === 'dns') && s.response !== null },
  { name: 'src', argument: 'text', help: 'Source address "ip:port" (the client)', types: ALL, match: (s, re) => textMatch(s.source, re) },
  { name: 't', argument: 'bytes', help: 'Content-Type header of request or response', types: HTTP, match: contentTypeMatch('both') },
  ofType('tcp'),
  { name: 'tq', argument: 'bytes', help: 'Request Content-Type header', types: HTTP, match: contentTypeMatch('request') },
  { name: 'ts', argument: 'bytes', help: 'Response Content-Type header', types: HTTP, match: contentTypeMatch('response') },
  { name: 'u', argument: 'text', help: 'URL (with the Host header\'s host); DNS: the first question\'s name. A bare pattern means ~u', types: ['http', 'dns'],
    match: (s, re) => (s.isHttp ? re.test(s.prettyUrl) : s.type === 'dns' && textMatch(s.firstQuestion, re)) },
  ofType('udp'),
  { name: 'websocket', argument: 'none', help: 'WebSocket flows (HTTP flows with WebSocket data)', types: HTTP, match: (s) => s.websocket !== null },
];

const BY_NAME = new Map(OPERATORS.map((op) => [op.name, op]));

export function operatorNamed(name: string): Operator | undefined {
  return BY_NAME.get(name);
}

/** `~u`, which a bare pattern stands for. */
export const URL_OPERATOR = BY_NAME.get('u') as PatternOperator;
