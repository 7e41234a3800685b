// Filter expressions → predicates over flows. The one entry point the engine, the CLI and scripts use.

import type { Flow } from '../model/flow.js';
import { FlowView } from '../model/view.js';
import { parseFilter, type FilterNode } from './parse.js';
import type { Matcher } from './operators.js';

/** A compiled filter: true when the flow matches. Reading a flow through it never marks the flow changed. */
export type FlowFilter = (flow: Flow) => boolean;

function matcherOf(node: FilterNode): Matcher {
  switch (node.kind) {
    case 'not': {
      const operand = matcherOf(node.operand);
      return (s) => !operand(s);
    }
    // Folded into pairs, left to right: the same order and short-circuits as a loop, without a callback per
    // operand per flow.
    case 'and':
      return node.operands.map(matcherOf).reduce((a, b) => (s) => a(s) && b(s));
    case 'or':
      return node.operands.map(matcherOf).reduce((a, b) => (s) => a(s) || b(s));
    case 'operator': {
      const { operator } = node;
      if (operator.argument === 'none') return operator.match;
      if (operator.argument === 'int') {
        const value = node.argument as number;
        return (s) => operator.match(s, value);
      }
      const pattern = node.pattern!;
      return (s) => operator.match(s, pattern);
    }
  }
}

/**
 * Compiles a mitmproxy filter expression (`~d example.com & ~m GET`). Throws FilterSyntaxError, a
 * UsageError whose message points at the column of the fault.
 */
export function compileFilter(expression: string): FlowFilter {
  const match = matcherOf(parseFilter(expression));
  return (flow) => match(FlowView.of(flow));
}
