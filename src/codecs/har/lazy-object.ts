// An object whose fields are decoded on first use. It is a Proxy whose target holds only the loader, so that
// spreading, JSON, msgpack and key listing see the decoded object's fields as its own, with no accessor
// properties and no closures made per object (a HAR flow's `extra.har` is one). Its plain form (model/plain.ts)
// is a copy of the decoded object.

import { PLAIN } from '../../model/plain.js';

interface Holder {
  load: (() => object) | null;
  data: object | null;
}

function data(holder: Holder): object {
  if (holder.data === null) {
    holder.data = holder.load!();
    holder.load = null;
  }
  return holder.data;
}

const HANDLER: ProxyHandler<Holder> = {
  get: (holder, key) => (key === PLAIN ? () => ({ ...data(holder) }) : Reflect.get(data(holder), key)),
  set: (holder, key, value) => Reflect.set(data(holder), key, value),
  has: (holder, key) => Reflect.has(data(holder), key),
  deleteProperty: (holder, key) => Reflect.deleteProperty(data(holder), key),
  ownKeys: (holder) => Reflect.ownKeys(data(holder)),
  getOwnPropertyDescriptor: (holder, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(data(holder), key);
    // The target does not have the property: a proxy may only report it as configurable.
    if (descriptor !== undefined) descriptor.configurable = true;
    return descriptor;
  },
  defineProperty: (holder, key, descriptor) => Reflect.defineProperty(data(holder), key, descriptor),
};

/** An object that is `load()`'s result from its first use on. `load` may throw: it runs again next time. */
export function lazyObject<T extends object>(load: () => T): T {
  return new Proxy<Holder>({ load, data: null }, HANDLER) as unknown as T;
}
