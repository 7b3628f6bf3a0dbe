/**
 * Received file names are chosen by the remote peer, so they are hostile input twice over: as a path (they
 * must not leave the folder the person chose, nor name a device) and as text on screen (they must not look
 * like something they are not). The sender sends the name it has, however odd; the receiver passes it
 * through safeFileName before it shows or stores it (docs/file-transfer.md §3.1). One function serves the
 * browser app and any Node peer that writes files to disk, so both save the name they show.
 */
import { MAX_NAME_LENGTH, utf8Length } from './protocol.ts';

/** What a name becomes when nothing visible is left of it. */
const FALLBACK_NAME = 'file';
/**
 * A last dot segment longer than this is not an extension worth keeping whole when a name is shortened;
 * real ones are a few characters (`.gz`, `.docx`, `.webmanifest`).
 */
const MAX_KEPT_EXTENSION_BYTES = 32;

/**
 * Lone surrogates are not text: they come only from escapes (`"\ud800"` in JSON), cannot be stored in a
 * UTF-8 or UTF-16 file system name, and render as whatever the platform improvises.
 */
const loneSurrogate = /\p{Cs}/gu;
/**
 * Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt): what a renderer draws as nothing
 * when it does not support it. It holds the bidirectional controls (embeddings and overrides
 * U+202A–U+202E, isolates U+2066–U+2069, marks U+200E/U+200F/U+061C) that make `invoice\u202Efdp.exe` look
 * like `invoiceexe.pdf`, the zero-width characters (U+200B–U+200D, U+2060, U+FEFF) that make two names look
 * alike, and also the soft hyphen, Hangul fillers, U+180E, U+034F, variation selectors and tag characters,
 * which hide just as well. They are dropped, not replaced, so what is saved is exactly what is shown. The
 * cost is cosmetic: an emoji ZWJ sequence shows as its separate emoji, a Persian or Indic word written with
 * ZWNJ/ZWJ joins its letters differently, a flag built from tags shows as a plain flag.
 */
const invisible = /\p{Default_Ignorable_Code_Point}/gu;
/**
 * Replaced by `_`, so the person can see that something was there: C0 and C1 controls and DEL (`Cc`), line
 * and paragraph separators (`Zl`, `Zp`), and the format characters left once the ignorables are gone
 * (`Cf`, e.g. the interlinear annotation marks U+FFF9–U+FFFB, which make renderers hide the text between
 * them); noncharacters (U+FDD0–U+FDEF, U+xFFFE and U+xFFFF in every plane), which Unicode reserves for a
 * program's internal use and never for interchange.
 */
const controls = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}]/gu;
/** In names also what Windows forbids (`< > : " / \ | ? *`), which includes both path separators. */
const forbiddenInNames = /[<>:"/\\|?*]/g;
/**
 * Browsers draw a run of spaces as one, so the saved name would differ from the shown one, and a run of
 * no-break spaces (which they keep) could push the extension out of sight: any run becomes one space.
 */
const whitespaceRun = /\p{White_Space}+/gu;
/**
 * A leading dot hides a file on Unix (and `.bashrc`, `.profile` are run by shells); Windows drops trailing
 * dots and spaces when it creates a file, so `a.exe.` would be saved as `a.exe` while showing otherwise.
 */
const leadingDotsAndSpaces = /^[. ]+/;
const trailingDotsAndSpaces = /[. ]+$/;
/**
 * Windows opens a device instead of a file for these names, in any case, with any extension and with
 * spaces before it (`nul.txt`, `Com1 .tar.gz`); the superscript digits count as digits there too
 * (https://learn.microsoft.com/windows/win32/fileio/naming-a-file). CONIN$ and CONOUT$ open the console.
 */
const windowsDevice = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³]) *(\.|$)/i;

/**
 * Makes a file name received from a peer safe to show and to save: no path, no device, no control or
 * invisible characters, no leading or trailing dots and spaces, at most MAX_NAME_LENGTH UTF-8 bytes with the
 * extension kept. Never empty. Applying it twice changes nothing.
 */
export function safeFileName(name: string): string {
  let cleaned = visibleText(name)
    .replace(forbiddenInNames, '_')
    .replace(whitespaceRun, ' ')
    .replace(leadingDotsAndSpaces, '')
    .replace(trailingDotsAndSpaces, '');
  if (cleaned === '') return FALLBACK_NAME;
  if (windowsDevice.test(cleaned)) cleaned = `_${cleaned}`;
  return shortenToBytes(cleaned, MAX_NAME_LENGTH);
}

/**
 * Free text from the remote peer (a cancel reason, an error message), made safe to show the same way as a
 * name: invisible characters dropped, controls and separators replaced, so it cannot reorder or hide what
 * is around it on screen.
 */
export function visibleText(text: string): string {
  return text.replace(loneSurrogate, '_').replace(invisible, '').replace(controls, '_');
}

/**
 * A relative path offered by a peer that sends folders (`docs/a.txt`, §3.1), made safe to create below
 * the chosen folder: split at `/`, empty and `.` segments dropped, every other segment through
 * safeFileName, so none is `..`, starts with a dot or carries a separator (`\\` becomes `_`). Never empty.
 */
export function safeRelativePath(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  return segments.length ? segments.map(safeFileName).join('/') : FALLBACK_NAME;
}

/**
 * `name (n).ext`, the usual way to save a second file of the same name beside the first, still within
 * MAX_NAME_LENGTH bytes (the stem gives way, never the number or the extension). `name` is a safeFileName.
 */
export function numberedFileName(name: string, n: number): string {
  const [stem, extension] = splitExtension(name);
  const suffix = ` (${n})`;
  const room = MAX_NAME_LENGTH - utf8Length(suffix) - utf8Length(extension);
  return cutToBytes(stem, room).replace(trailingDotsAndSpaces, '') + suffix + extension;
}

/**
 * Cuts a clean name to `maxBytes` of UTF-8 (ext4 and most Unix file systems allow 255 bytes; NTFS's 255
 * UTF-16 units are never fewer), from the end of the stem, keeping the extension, so the type the system
 * opens the file as is still the one the person reads.
 */
function shortenToBytes(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  const [stem, extension] = splitExtension(name);
  return cutToBytes(stem, maxBytes - utf8Length(extension)).replace(trailingDotsAndSpaces, '') + extension;
}

/** The last dot segment when it is a plausible extension, else none; a leading dot is not one. */
function splitExtension(name: string): [stem: string, extension: string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || utf8Length(name.slice(dot)) > MAX_KEPT_EXTENSION_BYTES) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/** The longest start of `text` within `maxBytes` of UTF-8, cut between code points (never in a pair). */
function cutToBytes(text: string, maxBytes: number): string {
  let budget = maxBytes;
  let end = 0;
  for (const codePoint of text) {
    budget -= utf8Length(codePoint);
    if (budget < 0) break;
    end += codePoint.length;
  }
  return text.slice(0, end);
}
