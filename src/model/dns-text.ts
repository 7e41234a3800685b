// A DNS message as mitmproxy's filters see it: questions and records as text, one per line.

import { binary } from './byte-string.js';
import type { Extra } from './state.js';

// DNS record types mitmproxy renders as text; others render as 0x + hex.
const DNS_TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 12: 'PTR', 16: 'TXT', 28: 'AAAA' };

function domainName(data: Uint8Array): string {
  const labels: string[] = [];
  let at = 0;
  for (;;) {
    const length = data[at];
    if (length === undefined || length > 63 || at + 1 + length > data.length) throw new RangeError('bad name');
    if (length === 0) break;
    labels.push(Buffer.from(data.subarray(at + 1, at + 1 + length)).toString('utf8'));
    at += 1 + length;
  }
  if (at + 1 !== data.length) throw new RangeError('bad name');
  return labels.join('.');
}

/** Python's compressed IPv6 notation (the longest run of two or more zero groups becomes `::`). */
function ipv6(data: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((data[2 * i]! << 8) | data[2 * i + 1]!).toString(16));
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best[1]! && j - i > 1) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best[0]! < 0) return groups.join(':');
  const head = groups.slice(0, best[0]).join(':');
  const tail = groups.slice(best[0]! + best[1]!).join(':');
  return `${head}::${tail}`;
}

function recordText(record: Extra): string {
  const data = record.data instanceof Uint8Array ? record.data : new Uint8Array(0);
  const type = Number(record.type);
  const hexData = `0x${Buffer.from(data).toString('hex')}`;
  const name = DNS_TYPES[type];
  if (name === undefined) return hexData;
  try {
    if (name === 'A' && data.length === 4) return Array.from(data).join('.');
    if (name === 'AAAA' && data.length === 16) return ipv6(data);
    if (name === 'NS' || name === 'CNAME' || name === 'PTR') return domainName(data);
    if (name === 'TXT') return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    // rendered as invalid below
  }
  return `${hexData} (invalid ${name} data)`;
}

/** A DNS message as mitmproxy's filters see it: questions and records, one per line (CRLF). */
export function dnsText(message: Extra): string {
  const list = (key: string): Extra[] => (Array.isArray(message[key]) ? (message[key] as Extra[]) : []);
  const lines = [
    ...list('questions').map((q) => String(q.name)),
    ...['answers', 'authorities', 'additionals'].flatMap((key) => list(key).map(recordText)),
  ];
  return binary(Buffer.from(lines.join('\r\n'), 'utf8'));
}

