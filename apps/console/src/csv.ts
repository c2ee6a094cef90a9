/**
 * CSV (RFC 4180) for the audit export. Spreadsheet programs run a cell that starts with = + - @ (or
 * a tab / carriage return) as a formula, and audit rows hold attacker-chosen text (user agents,
 * emails, metadata): such a cell is prefixed with an apostrophe so it is shown, never evaluated.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvCell).join(',');
}

/** A whole document: header line, then one line per row, CRLF-terminated. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => csvLine(r) + '\r\n').join('');
}
