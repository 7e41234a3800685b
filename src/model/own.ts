// Data from captures may use any key, "__proto__" included; a plain assignment of that key would set the
// object's prototype instead of adding a field.

export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}
