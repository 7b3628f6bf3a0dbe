/**
 * Chat and media-state messages over the call's `chat` data channel (negotiated, id 0). Messages are JSON:
 * `{type:"chat", text}` and `{type:"media", audio, video, screen}` (what the sender currently sends).
 */
import { h } from '../ui.ts';

export const CHAT_CHANNEL_ID = 0;
const maxChatLength = 2000;

export type PeerMediaState = { audio: boolean; video: boolean; screen: boolean };
export type ChatWireMessage = { type: 'chat'; text: string } | ({ type: 'media' } & PeerMediaState);

export function parseChatMessage(data: unknown): ChatWireMessage | undefined {
  if (typeof data !== 'string' || data.length > maxChatLength * 4) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  if (m['type'] === 'chat' && typeof m['text'] === 'string')
    return { type: 'chat', text: m['text'].slice(0, maxChatLength) };
  if (m['type'] === 'media') {
    return {
      type: 'media',
      audio: m['audio'] === true,
      video: m['video'] === true,
      screen: m['screen'] === true,
    };
  }
  return undefined;
}

export class ChatPanel {
  readonly element: HTMLElement;
  readonly #log: HTMLElement;
  readonly #input: HTMLInputElement;
  readonly #button: HTMLButtonElement;
  #channel: RTCDataChannel | undefined;

  constructor() {
    this.#log = h('ol', { class: 'chat-log' });
    this.#input = h('input', {
      type: 'text',
      class: 'chat-input',
      maxlength: maxChatLength,
      autocomplete: 'off',
      placeholder: 'Write a message…',
      'aria-label': 'Message',
      disabled: true,
    });
    this.#button = h('button', { type: 'submit', class: 'button primary', disabled: true }, 'Send');
    const form = h('form', { class: 'chat-form' }, this.#input, this.#button);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#sendChat();
    });
    this.element = h(
      'section',
      { class: 'panel chat', 'aria-labelledby': 'chat-title' },
      h('h2', { id: 'chat-title', class: 'panel-title' }, 'Chat'),
      h(
        'div',
        { class: 'chat-scroll', role: 'log', 'aria-live': 'polite', 'aria-label': 'Chat messages' },
        this.#log,
      ),
      form,
    );
    this.#system('Messages go straight to the other person over an encrypted data channel.');
  }

  /** Uses the chat channel of a new peer connection. */
  attach(channel: RTCDataChannel, onMedia: (state: PeerMediaState) => void, onOpen: () => void): void {
    this.#channel = channel;
    const setEnabled = () => {
      const open = channel.readyState === 'open' && this.#channel === channel;
      this.#input.disabled = !open;
      this.#button.disabled = !open;
    };
    channel.addEventListener('open', () => {
      setEnabled();
      onOpen();
    });
    channel.addEventListener('close', setEnabled);
    channel.addEventListener('message', (event) => {
      const message = parseChatMessage(event.data);
      if (message?.type === 'chat') this.#add('them', message.text);
      else if (message?.type === 'media') onMedia(message);
    });
    setEnabled();
  }

  sendMedia(state: PeerMediaState): void {
    this.#send({ type: 'media', ...state });
  }

  #sendChat(): void {
    const text = this.#input.value.trim();
    if (!text || !this.#send({ type: 'chat', text })) return;
    this.#add('me', text);
    this.#input.value = '';
  }

  #send(message: ChatWireMessage): boolean {
    if (this.#channel?.readyState !== 'open') return false;
    this.#channel.send(JSON.stringify(message));
    return true;
  }

  #add(who: 'me' | 'them', text: string): void {
    const time = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    this.#log.append(
      h(
        'li',
        { class: `chat-message ${who}` },
        h('span', { class: 'visually-hidden' }, who === 'me' ? 'You: ' : 'Them: '),
        h('span', { class: 'chat-text' }, text),
        h('time', { class: 'chat-time' }, time),
      ),
    );
    const scroller = this.#log.parentElement;
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }

  #system(text: string): void {
    this.#log.append(h('li', { class: 'chat-message system' }, text));
  }
}
