/** CSV (RFC 4180: commas, double-quoted fields with "" escapes, CRLF or LF) into one object per data line, keyed by the header. */

export interface CsvTable {
  header: string[];
  /** One per data line; empty cells are left out, so the row schema's defaults apply. */
  rows: Record<string, string>[];
}

function splitRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  // Blank lines (a trailing newline, spacing) are not rows.
  return records.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

export function parseCsv(text: string): CsvTable {
  const [head, ...lines] = splitRecords(text.replace(/^\uFEFF/, ''));
  const header = (head ?? []).map((h) => h.trim());
  const rows = lines.map((cells) => {
    // No prototype: a column named like a built-in (`__proto__`, `constructor`) is a column like any other.
    const row: Record<string, string> = Object.create(null) as Record<string, string>;
    cells.forEach((cell, i) => {
      const name = header[i] ?? `column${i + 1}`;
      if (cell.trim() !== '') row[name] = cell.trim();
    });
    return row;
  });
  return { header, rows };
}
