/** Per-file and overall progress of a transfer, with speed and time left, for both sides. */
import { formatBytes, formatDuration, h, icon } from '../ui.ts';

export type FileRowState =
  | 'offered'
  | 'waiting'
  | 'sending'
  | 'receiving'
  | 'verifying'
  | 'verified'
  | 'failed'
  | 'declined';

export interface FileRow {
  name: string;
  size: number;
  done: number;
  state: FileRowState;
  error?: string;
}

const stateLabels: Record<FileRowState, string> = {
  offered: 'Offered',
  waiting: 'Queued',
  sending: 'Sending',
  receiving: 'Receiving',
  verifying: 'Checking SHA-256',
  verified: 'Verified',
  failed: 'Failed',
  declined: 'Declined',
};

/**
 * A file name as a row shows it. Its own left-to-right bidi context (HTML's rendering rules isolate any
 * element with a `dir` attribute) keeps the extension at the right end whatever letters come before it,
 * and the tooltip shows the whole name where the row is too narrow for it. Received names are
 * safeFileName's already.
 */
export function fileNameLabel(name: string): HTMLElement {
  return h('span', { class: 'file-name', dir: 'ltr', title: name }, name);
}

/** Exponentially smoothed rate over a few seconds, so the speed and time left do not jitter. */
class RateMeter {
  #lastAt = 0;
  #lastBytes = 0;
  rate = 0;

  sample(bytes: number, at: number): number {
    if (this.#lastAt > 0 && at > this.#lastAt) {
      const instant = ((bytes - this.#lastBytes) * 1000) / (at - this.#lastAt);
      const weight = Math.min(1, (at - this.#lastAt) / 3000);
      this.rate = this.rate === 0 ? instant : this.rate + (instant - this.rate) * weight;
    }
    this.#lastAt = at;
    this.#lastBytes = bytes;
    return this.rate;
  }
}

export class ProgressView {
  readonly element: HTMLElement;
  readonly #list: HTMLElement;
  readonly #overall: HTMLProgressElement;
  readonly #summary: HTMLElement;
  readonly #rows: { row: HTMLElement; bar: HTMLProgressElement; state: HTMLElement; detail: HTMLElement }[] =
    [];
  readonly #meter = new RateMeter();

  constructor(title: string) {
    this.#list = h('ul', { class: 'file-list progress-list' });
    this.#overall = h('progress', {
      class: 'overall-bar',
      max: 1,
      value: 0,
      'aria-label': 'Overall progress',
    });
    this.#summary = h('p', { class: 'overall-summary' });
    this.element = h(
      'section',
      { class: 'panel transfer', 'aria-labelledby': 'transfer-title' },
      h('h2', { id: 'transfer-title', class: 'panel-title' }, title),
      h('div', { class: 'overall' }, this.#overall, this.#summary),
      this.#list,
    );
  }

  update(files: readonly FileRow[], now = performance.now()): void {
    while (this.#rows.length < files.length) {
      const index = this.#rows.length;
      const file = files[index]!;
      const bar = h('progress', { max: 1, value: 0, 'aria-label': `Progress of ${file.name}` });
      const state = h('span', { class: 'file-state' });
      const detail = h('span', { class: 'file-detail' });
      const row = h(
        'li',
        { class: 'file-row', 'data-index': index },
        icon('file'),
        h('div', { class: 'file-main' }, fileNameLabel(file.name), bar, detail),
        state,
      );
      this.#rows.push({ row, bar, state, detail });
      this.#list.append(row);
    }
    let total = 0;
    let done = 0;
    files.forEach((file, i) => {
      const view = this.#rows[i]!;
      if (file.state !== 'declined') {
        total += file.size;
        done += file.done;
      }
      view.row.dataset['state'] = file.state;
      view.bar.value = file.size === 0 ? (file.state === 'verified' ? 1 : 0) : file.done / file.size;
      view.state.replaceChildren(file.state === 'verified' ? icon('check') : '', stateLabels[file.state]);
      view.detail.textContent = file.error ?? `${formatBytes(file.done)} of ${formatBytes(file.size)}`;
    });
    const rate = this.#meter.sample(done, now);
    this.#overall.value = total === 0 ? 0 : done / total;
    const active = files.some((f) => ['sending', 'receiving', 'verifying', 'waiting'].includes(f.state));
    const speed =
      active && rate > 0 ? ` · ${formatBytes(rate)}/s · ${formatDuration((total - done) / rate)} left` : '';
    this.#summary.textContent = `${formatBytes(done)} of ${formatBytes(total)}${speed}`;
  }
}
