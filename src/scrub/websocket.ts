// Secrets in WebSocket messages (`flow.websocket.messages`): text messages are read like a body of unknown
// type (JSON when they are JSON, shapes otherwise); binary messages are left as they are.

import type { Flow } from '../model/flow.js';
import { strictUtf8 } from '../model/utf8.js';
import { scrubContent } from './body.js';
import type { Scrubber } from './context.js';

const TEXT = 1;

/** Redacts the secrets of a flow's WebSocket messages in place; a message is replaced only when it changed. */
export function scrubWebSocket(flow: Flow, scrubber: Scrubber): void {
  const messages = flow.websocket?.messages;
  if (messages === undefined) return;
  messages.forEach((message, i) => {
    if (message.type !== TEXT || message.content.byteLength === 0) return;
    let text: string;
    try {
      text = strictUtf8.decode(message.content);
    } catch {
      return; // a text frame must be UTF-8; one that is not is left as captured
    }
    const scrubbed = scrubContent(text, undefined, scrubber, `websocket.message[${i}]`);
    if (scrubbed !== undefined) message.content = Buffer.from(scrubbed, 'utf8');
  });
}
