// HAR's ISO 8601 timestamps ⇄ seconds since the epoch, to the microsecond. Written as Python's
// datetime.isoformat() writes them (mitmproxy's HAR export): UTC, "+00:00", six fractional digits, the
// fraction left out when it is zero.

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Seconds since the epoch, or undefined when `text` is not an ISO 8601 date-time. No offset means UTC. */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone = 'Z'] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  if (Number.isNaN(whole)) return undefined;
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offset = (Number(digits.slice(1, 3)) * 3600 + Number(digits.slice(3, 5) || '0') * 60) * (zone[0] === '-' ? -1 : 1);
  }
  const seconds = whole - offset;
  // Integer microseconds divided once: the same double Python's timestamp() gives.
  if (fraction.length <= 6) return (seconds * 1e6 + Number(fraction.padEnd(6, '0'))) / 1e6;
  return seconds + Number(`0.${fraction}`);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `seconds` as Python's datetime.fromtimestamp(seconds, timezone.utc).isoformat(). */
export function formatIsoTime(seconds: number): string {
  let whole = Math.trunc(seconds);
  let micros = roundHalfEven((seconds - whole) * 1e6);
  if (micros >= 1e6) {
    whole += 1;
    micros -= 1e6;
  } else if (micros < 0) {
    whole -= 1;
    micros += 1e6;
  }
  const t = new Date(whole * 1000);
  const date = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  const time = `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  return `${date}T${time}${micros === 0 ? '' : `.${pad(micros, 6)}`}+00:00`;
}
