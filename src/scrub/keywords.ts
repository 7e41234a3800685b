// Finds which of a fixed set of ASCII words occur in a text, ignoring ASCII case, in one pass (Aho–Corasick):
// the detectors' prefilter, so that most text costs one table lookup per character and no regex at all.
// It reports which words occur, not where: callers that need places run their own patterns.

/** One column per ASCII code; a character above 127 sends the automaton back to its root (no word has one). */
const WIDTH = 128;

export class KeywordScanner {
  readonly words: readonly string[];
  /** state × character → next state, with the failure links already followed. */
  readonly #next: Uint32Array;
  /** The words that end in each state (its own and those of its failure chain), or undefined. */
  readonly #ends: (readonly number[] | undefined)[];

  /** @param words compared lower-cased; each must be ASCII and non-empty. */
  constructor(words: readonly string[]) {
    this.words = words;
    const goto: number[][] = [[]];
    const ends: number[][] = [[]];
    words.forEach((word, index) => {
      if (!/^[\x00-\x7f]+$/.test(word)) throw new Error(`keyword #${index} is empty or not ASCII`);
      let state = 0;
      for (const code of lowerCodes(word)) {
        let next = goto[state]![code];
        if (next === undefined) {
          next = goto.push([]) - 1;
          ends.push([]);
          goto[state]![code] = next;
        }
        state = next;
      }
      ends[state]!.push(index);
    });

    // Breadth-first, so a state's failure target is complete before the state itself is filled in.
    const next = new Uint32Array(goto.length * WIDTH);
    const fail = new Uint32Array(goto.length);
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      if (state !== 0) ends[state]!.push(...ends[fail[state]!]!);
      for (let code = 0; code < WIDTH; code++) {
        const child = goto[state]![code];
        const fallback = state === 0 ? 0 : next[fail[state]! * WIDTH + code]!;
        if (child === undefined) {
          next[state * WIDTH + code] = fallback;
        } else {
          next[state * WIDTH + code] = child;
          fail[child] = fallback;
          queue.push(child);
        }
      }
      // Upper-case letters move exactly as their lower-case forms do.
      for (let code = 0x41; code <= 0x5a; code++) next[state * WIDTH + code] = next[state * WIDTH + code + 0x20]!;
    }
    this.#next = next;
    this.#ends = ends.map((list) => (list.length ? list : undefined));
  }

  /** Marks `found[i] = 1` for every word i that occurs in `text`; returns how many marks it newly set. */
  scan(text: string, found: Uint8Array): number {
    const next = this.#next;
    const ends = this.#ends;
    let marked = 0;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      state = code < WIDTH ? next[state * WIDTH + code]! : 0;
      const words = ends[state];
      if (words !== undefined) {
        for (const word of words) {
          if (found[word] === 0) {
            found[word] = 1;
            marked++;
          }
        }
      }
    }
    return marked;
  }

  /** Whether any of the words occurs in `text`. */
  occursIn(text: string): boolean {
    return this.scan(text, new Uint8Array(this.words.length)) > 0;
  }
}

function lowerCodes(word: string): number[] {
  return [...word.toLowerCase()].map((ch) => ch.charCodeAt(0));
}
