// Change tracking for the plain-data parts of a flow that scripts change in place (metadata, extra, the
// connections, the error, the WebSocket, TCP/UDP messages). A Proxy over the state marks the flow changed
// when anything is set or deleted at any depth, so reading these parts marks nothing. The state behind stays
// plain: values set through a proxy are stored without any proxy in them, so codecs never meet one.

/** What a tracked object tells of a change. */
export interface Touchable {
  touch(): void;
}

// Proxies to their targets, for untracked(). One table for every tracker: a proxy is made once per target.
const TARGETS = new WeakMap<object, object>();

// Bytes are leaves, as a message's `content` is: replaced, not watched.
const isTracked = (v: unknown): v is object => v !== null && typeof v === 'object' && !ArrayBuffer.isView(v);

/** `value` with every tracking proxy in it replaced by its plain target (copied only on the way to one). */
export function untracked<T>(value: T): T {
  if (!isTracked(value)) return value;
  const target = TARGETS.get(value);
  if (target !== undefined) return target as T;
  let out: object | undefined;
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const v = source[key];
    const plain = untracked(v);
    if (plain === v) continue;
    out ??= Array.isArray(source) ? source.slice() : { ...source };
    // defineProperty: a "__proto__" key from captured data stays a key.
    Object.defineProperty(out, key, { value: plain, writable: true, enumerable: true, configurable: true });
  }
  return (out ?? value) as T;
}

/** Hands out tracking proxies of one owner's state: the same proxy for the same object, every time. */
export class Tracker {
  readonly #proxies = new WeakMap<object, object>();
  readonly #handler: ProxyHandler<object>;

  constructor(owner: Touchable) {
    const own = (target: object, key: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(target, key);
    this.#handler = {
      get: (target, key) => this.wrap(Reflect.get(target, key)),
      set: (target, key, value) => {
        const plain = untracked(value);
        // Setting what is there already (an array's length after a push) changes nothing.
        if (own(target, key) && Object.is(Reflect.get(target, key), plain)) return true;
        const done = Reflect.set(target, key, plain);
        owner.touch();
        return done;
      },
      deleteProperty: (target, key) => {
        if (!own(target, key)) return true;
        const done = Reflect.deleteProperty(target, key);
        owner.touch();
        return done;
      },
      defineProperty: (target, key, descriptor) => {
        const plain = 'value' in descriptor ? { ...descriptor, value: untracked(descriptor.value) } : descriptor;
        const done = Reflect.defineProperty(target, key, plain);
        owner.touch();
        return done;
      },
    };
  }

  /** The tracking proxy of `value` (an object or array of the state); any other value as it is. */
  wrap<T>(value: T): T {
    if (!isTracked(value)) return value;
    let proxy = this.#proxies.get(value);
    if (proxy === undefined) {
      proxy = new Proxy(value, this.#handler);
      this.#proxies.set(value, proxy);
      TARGETS.set(proxy, value);
    }
    return proxy as T;
  }
}
