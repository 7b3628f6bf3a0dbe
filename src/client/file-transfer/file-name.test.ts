import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../util/index.ts';
import { numberedFileName, safeFileName, visibleText } from './file-name.ts';
import { FileReceiver } from './receiver.ts';

const hex = (codePoint: number) => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** [what the case is, the name a hostile sender offers, what the receiver shows and saves]. */
type Case = [string, string, string];

const dropped: Case[] = [
  ['RLO reversing the extension', 'invoice\u202Efdp.exe', 'invoicefdp.exe'],
  ['RLI … PDI around the extension', 'photo\u2067gpj.exe\u2069', 'photogpj.exe'],
  ...[...range(0x202a, 0x202e), ...range(0x2066, 0x2069), 0x200e, 0x200f, 0x061c].map(
    (c): Case => [`bidi control ${hex(c)}`, `a${String.fromCodePoint(c)}b.txt`, 'ab.txt'],
  ),
  ...[0x200b, 0x200c, 0x200d, 0x2060, 0xfeff].map(
    (c): Case => [`zero-width ${hex(c)}`, `a${String.fromCodePoint(c)}b.txt`, 'ab.txt'],
  ),
  // Other default-ignorables: Mongolian vowel separator, combining grapheme joiner, variation selectors
  // (BMP and supplement), soft hyphen, Hangul filler, a tag character.
  ...[0x180e, 0x034f, 0xfe0f, 0xe0100, 0x00ad, 0x3164, 0xe0041].map(
    (c): Case => [`invisible ${hex(c)}`, `a${String.fromCodePoint(c)}b.txt`, 'ab.txt'],
  ),
];

const replaced: Case[] = [
  ...[...range(0x00, 0x1f), 0x7f, ...range(0x80, 0x9f)].map(
    (c): Case => [`control ${hex(c)}`, `a${String.fromCodePoint(c)}b.txt`, 'a_b.txt'],
  ),
  ['line separator', 'a\u2028b.txt', 'a_b.txt'],
  ['paragraph separator', 'a\u2029b.txt', 'a_b.txt'],
  ['interlinear annotation anchor', 'a\uFFF9b.txt', 'a_b.txt'],
  ['lone high surrogate', 'a\uD800b.txt', 'a_b.txt'],
  ['lone low surrogate', 'a\uDC00b.txt', 'a_b.txt'],
  ['high surrogate at the end', 'ab.txt\uD83D', 'ab.txt_'],
  ...[0xfdd0, 0xfdef, 0xfffe, 0xffff, 0x1fffe, 0x10ffff].map(
    (c): Case => [`noncharacter ${hex(c)}`, `a${String.fromCodePoint(c)}b.txt`, 'a_b.txt'],
  ),
  ['characters Windows forbids', 'a<b>c:d"e/f\\g|h?i*j.txt', 'a_b_c_d_e_f_g_h_i_j.txt'],
  ['Unix path traversal', '../../etc/passwd', '_.._etc_passwd'],
  ['Windows path traversal', '..\\..\\boot.ini', '_.._boot.ini'],
  ['absolute path', '/etc/passwd', '_etc_passwd'],
  ['alternate data stream', 'a.txt:hidden.exe', 'a.txt_hidden.exe'],
];

const windowsDevices: Case[] = [
  ...['CON', 'PRN', 'AUX', 'NUL', 'COM0', 'COM1', 'COM9', 'LPT1', 'LPT9', 'CONIN$', 'CONOUT$'].map(
    (name): Case => [`device ${name}`, name, `_${name}`],
  ),
  ['device with an extension', 'nul.txt', '_nul.txt'],
  ['device with two extensions', 'Aux.tar.gz', '_Aux.tar.gz'],
  ['device in mixed case', 'cOm3.log', '_cOm3.log'],
  ['device with a space before the dot', 'prn .txt', '_prn .txt'],
  ['device with a trailing dot', 'con.', '_con'],
  ['superscript one', 'COM\u00B9', '_COM\u00B9'],
  ['superscript two with extension', 'lpt\u00B2.txt', '_lpt\u00B2.txt'],
  ['superscript three', 'COM\u00B3.bin', '_COM\u00B3.bin'],
  ['device behind an invisible character', 'n\u200Bul.txt', '_nul.txt'],
];

const notDevices: Case[] = [
  ['longer word starting like a device', 'console.txt', 'console.txt'],
  ['nullable', 'nullable.txt', 'nullable.txt'],
  ['two-digit port', 'com10.txt', 'com10.txt'],
  ['device name inside', 'my-con.txt', 'my-con.txt'],
];

const edges: Case[] = [
  ['trailing dots', 'report.pdf...', 'report.pdf'],
  ['trailing spaces', 'a.exe   ', 'a.exe'],
  ['trailing dots and spaces mixed', 'report.pdf. . .', 'report.pdf'],
  ['leading spaces', '   a.txt', 'a.txt'],
  ['leading dot (hidden on Unix)', '.bashrc', 'bashrc'],
  ['leading dots', '..hidden.txt', 'hidden.txt'],
  ['spaces pushing the extension out of view', `invoice.pdf${' '.repeat(120)}.exe`, 'invoice.pdf .exe'],
  ['no-break spaces pushing the extension', `invoice.pdf${'\u00A0'.repeat(50)}.exe`, 'invoice.pdf .exe'],
  ['tab', 'a\tb.txt', 'a_b.txt'],
  ['empty', '', 'file'],
  ['a dot', '.', 'file'],
  ['two dots', '..', 'file'],
  ['only dots', '.....', 'file'],
  ['dots and spaces', ' . . ', 'file'],
  ['only a bidi override', '\u202E', 'file'],
  ['only invisible characters around a dot', '\u200B.\u200B', 'file'],
  ['only spaces', '    ', 'file'],
];

/** Ordinary names from real people must arrive as they were sent. */
const kept: Case[] = [
  ['ASCII', 'holiday video.mp4', 'holiday video.mp4'],
  ['accents', 'notes ünïcode.txt', 'notes ünïcode.txt'],
  ['decomposed accents (macOS)', 'cafe\u0301.txt', 'cafe\u0301.txt'],
  ['Hebrew letters', 'שלום.txt', 'שלום.txt'],
  ['Arabic letters', 'تقرير.pdf', 'تقرير.pdf'],
  ['CJK', '報告書.docx', '報告書.docx'],
  ['emoji (a surrogate pair)', 'party 🎉.png', 'party 🎉.png'],
  ['several dots', 'archive.tar.gz', 'archive.tar.gz'],
  ['private-use character', 'a\uE000.txt', 'a\uE000.txt'],
];

const overLong: Case[] = [
  ['ASCII, keeps the extension', `${'a'.repeat(300)}.pdf`, `${'a'.repeat(251)}.pdf`],
  ['3-byte characters, cut on a character', `${'€'.repeat(200)}.txt`, `${'€'.repeat(83)}.txt`],
  ['4-byte emoji, never half a pair', `${'😀'.repeat(100)}.png`, `${'😀'.repeat(62)}.png`],
  ['no extension, pair at the cut', `x${'😀'.repeat(100)}`, `x${'😀'.repeat(63)}`],
  ['a "extension" too long to keep', `a.${'b'.repeat(300)}`, `a.${'b'.repeat(253)}`],
  ['cut ending in a space', `${'a'.repeat(250)} ${'b'.repeat(10)}.txt`, `${'a'.repeat(250)}.txt`],
  [
    'the hidden extension at the end',
    `invoice.pdf${'_'.repeat(400)}.exe`,
    `invoice.pdf${'_'.repeat(240)}.exe`,
  ],
  ['exactly 255 bytes is kept', `${'é'.repeat(127)}x`, `${'é'.repeat(127)}x`],
];

const groups: [string, Case[]][] = [
  ['dropped invisible characters', dropped],
  ['replaced characters', replaced],
  ['Windows device names', windowsDevices],
  ['names that are not devices', notDevices],
  ['dots, spaces, empty names', edges],
  ['ordinary names', kept],
  ['over-long names', overLong],
];

for (const [group, cases] of groups) {
  test(`safeFileName: ${group}`, () => {
    for (const [what, hostile, expected] of cases) {
      assert.equal(safeFileName(hostile), expected, what);
    }
  });
}

/** What every safe name satisfies, whatever came in. */
function assertSafe(safe: string, what: string): void {
  assert.ok(safe.length > 0, what);
  assert.ok(bytes(safe) <= 255, `${what}: ${bytes(safe)} bytes`);
  assert.doesNotMatch(safe, /\p{Bidi_Control}|\p{Default_Ignorable_Code_Point}/u, what);
  assert.doesNotMatch(safe, /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}]/u, what);
  assert.doesNotMatch(safe, /[<>:"/\\|?*]|^[. ]|[. ]$|\s{2}/u, what);
  assert.doesNotMatch(safe, /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\.|$)/i, what);
  assert.equal(safeFileName(safe), safe, `${what}: applying it again changes nothing`);
}

test('safeFileName: every result is visible, well-formed, short, and stable', () => {
  for (const [, cases] of groups) {
    for (const [what, hostile] of cases) assertSafe(safeFileName(hostile), what);
  }
});

test('safeFileName: random names built from hostile pieces all come out safe', () => {
  const letters = ['a', 'Z', '7', 'é', '€', '報', '😀', 'ש'];
  const dotsAndNames = ['.', ' ', '\u00A0', '..', '.txt', 'nul', 'COM\u00B9', 'lpt3'];
  const bidi = ['\u202E', '\u2066', '\u200F'];
  const zeroWidth = ['\u200B', '\u200D', '\uFEFF', '\uFE0F', '\u{E0041}', '\u180E'];
  const controls = ['\u0000', '\u001B', '\u007F', '\u0085', '\u2028', '\uFFF9'];
  const notText = ['\uD800', '\uDFFF', '\uFFFF', '\u{10FFFF}'];
  const pieces = [
    ...letters,
    ...dotsAndNames,
    ...bidi,
    ...zeroWidth,
    ...controls,
    ...notText,
    ...'/\\:*?"<>|',
  ];
  const random = seededRandom(7);
  for (let i = 0; i < 3000; i++) {
    let name = '';
    const length = Math.floor(random() * (i % 10 === 0 ? 400 : 20));
    for (let k = 0; k < length; k++) name += pieces[Math.floor(random() * pieces.length)];
    assertSafe(safeFileName(name), JSON.stringify(name));
  }
});

test('numberedFileName puts the number before the extension and stays within 255 bytes', () => {
  assert.equal(numberedFileName('a.txt', 1), 'a (1).txt');
  assert.equal(numberedFileName('README', 3), 'README (3)');
  assert.equal(numberedFileName('archive.tar.gz', 2), 'archive.tar (2).gz');
  const full = safeFileName(`${'€'.repeat(200)}.pdf`);
  const second = numberedFileName(full, 12);
  assert.ok(bytes(second) <= 255, `${bytes(second)} bytes`);
  assert.match(second, /^€+ \(12\)\.pdf$/u);
  const emoji = numberedFileName(safeFileName('😀'.repeat(100)), 7);
  assert.ok(bytes(emoji) <= 255);
  assert.match(emoji, /^(😀)+ \(7\)$/u);
  assert.equal(safeFileName(second), second);
});

test('the receiver shows and stores only the safe name, whatever the offer says', async () => {
  const opened: string[] = [];
  let offered: string[] = [];
  const receiver = new FileReceiver({
    openSink: async (file) => {
      opened.push(file.name);
      return { write: async () => {}, close: async () => {}, abort: async () => {} };
    },
    onEvent: (event) => {
      if (event.type === 'offer') offered = event.files.map((f) => f.name);
    },
  });
  const sent: string[] = [];
  receiver.attach({
    send: (data) => sent.push(String(data)),
    bufferedAmount: () => 0,
    drained: async () => {},
  });
  const names = ['invoice\u202Efdp.exe', 'nul.txt', '../../.ssh/authorized_keys', 'a\u200Bb\u0007.txt'];
  receiver.handleMessage({
    type: 'offer',
    version: 1,
    transferId: 'hostile-transfer',
    chunkSize: 1024,
    files: names.map((name, index) => ({ index, name, size: 1, type: '', lastModified: 0 })),
  });
  const expected = ['invoicefdp.exe', '_nul.txt', '_.._.ssh_authorized_keys', 'ab_.txt'];
  assert.deepEqual(offered, expected);
  assert.deepEqual(
    receiver.files.map((f) => f.description.name),
    expected,
  );
  receiver.accept([0]);
  receiver.handleChunk({ fileIndex: 0, chunkIndex: 0, data: new Uint8Array([1]) });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(opened, ['invoicefdp.exe']);
});

test('visibleText: a remote reason or error message cannot reorder or hide text on screen', () => {
  assert.equal(visibleText('plain words, 100% fine'), 'plain words, 100% fine');
  assert.equal(visibleText('done\u202Efdp.exe'), 'donefdp.exe');
  assert.equal(visibleText('a\u2066b\u2069c\u200Bd'), 'abcd');
  assert.equal(visibleText('line\nbreak\u0000\u009B\u2028'), 'line_break___');
  assert.equal(visibleText('\uD800lone'), '_lone');
});

test('the receiver reports a sender’s cancel reason only as visible text', () => {
  const failures: string[] = [];
  const receiver = new FileReceiver({
    openSink: async () => ({ write: async () => {}, close: async () => {}, abort: async () => {} }),
    onEvent: (event) => {
      if (event.type === 'error') failures.push(event.error.message);
    },
  });
  receiver.attach({ send: () => {}, bufferedAmount: () => 0, drained: async () => {} });
  receiver.handleMessage({
    type: 'offer',
    version: 1,
    transferId: 'hostile-transfer',
    chunkSize: 1024,
    files: [{ index: 0, name: 'a.txt', size: 1, type: '', lastModified: 0 }],
  });
  receiver.handleMessage({ type: 'cancel', transferId: 'hostile-transfer', reason: 'bye\u202Etxt.exe' });
  assert.deepEqual(failures, ['sender cancelled: byetxt.exe']);
});
