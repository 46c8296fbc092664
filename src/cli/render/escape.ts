// Text escaping as xenstore-ls shows values: printable ASCII as is, backslash doubled, \t \n \r,
// bytes below 8 as three octal digits (\000), every other byte as \xNN. Using the same form in
// `tree` and `dump` lets a listing from a live daemon diff clean against a saved stream.

export function xsEscape(b: Uint8Array, start = 0, end = b.length): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x20 && c <= 0x7e && c !== 0x5c) out += String.fromCharCode(c);
    else if (c === 0x5c) out += '\\\\';
    else if (c === 9) out += '\\t';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c < 8) out += `\\00${c}`;
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Same escaping for a model string (one char per byte). */
export function xsEscapeString(s: string): string {
  return xsEscape(Buffer.from(s, 'latin1'));
}

/** True when every byte is printable ASCII or tab/CR/LF. */
export function isPrintable(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c > 0x7e) return false;
  }
  return true;
}

/**
 * Bytes for `dump`: quoted and escaped when printable enough (at most a third escaped),
 * else hex; cut at `max` bytes (0 = no limit) with a note of the full size.
 */
export function showBytes(b: Uint8Array, max: number): string {
  if (b.length === 0) return '""';
  const n = max > 0 ? Math.min(max, b.length) : b.length;
  let escaped = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) escaped++;
  }
  const cut = n < b.length ? ` ... (${b.length} bytes; --max-bytes 0 shows all)` : '';
  if (escaped * 3 <= n) return `"${xsEscape(b, 0, n)}"${cut}`;
  return `hex ${Buffer.from(b.buffer, b.byteOffset, n).toString('hex')}${cut}`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content or a quoted attribute value: no markup can come through. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON for the inside of a `<script type="application/json">` element. `<`, `>` and `&` become
 * \u escapes so that no value can close the element (`</script>`) or open a comment (`<!--`)
 * that changes how the HTML parser reads the rest; U+2028/2029 and every other non-ASCII code
 * unit are escaped too, so the embedded text is plain ASCII whatever the page's encoding.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).replace(
    /[<>&\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
