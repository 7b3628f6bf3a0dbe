/**
 * The safety code on the file pages, as on the call page (docs/safety-code.md): shown once the other side
 * proved it holds the link's secret (docs/file-transfer.md §9), so two people can also compare it aloud.
 */
import { h, icon } from '../ui.ts';

export class SafetyView {
  readonly element: HTMLElement;
  readonly #code: HTMLElement;

  constructor(other: 'sender' | 'receiver') {
    this.#code = h('p', { class: 'safety-code', 'aria-live': 'polite' }, '—');
    this.element = h(
      'section',
      { class: 'panel info', 'aria-labelledby': 'safety-title' },
      h('h2', { id: 'safety-title', class: 'panel-title' }, icon('shield'), 'Safety code'),
      this.#code,
      h(
        'p',
        { class: 'hint' },
        `The ${other} proved it has this link's secret. If the ${other} sees the same code, nobody is in between.`,
      ),
    );
    this.element.hidden = true;
  }

  set(code: string | undefined): void {
    this.#code.textContent = code ?? '—';
    if (code) this.#code.setAttribute('aria-label', `Safety code ${code.split('').join(' ')}`);
    this.element.hidden = false;
  }
}
