import { escapeControlCharacters } from './bodyPreview';

export interface TableColumn<Row> {
  header: string;
  value: (row: Row) => string | number | undefined;
  /** Cut longer cells to this many characters. */
  maxWidth?: number;
  align?: 'left' | 'right';
}

/**
 * A plain-text table: a header line, a rule, one line per row, columns padded to their widest
 * cell, two spaces between columns. Cells are escaped, so a value cannot break the layout.
 */
export function formatTable<Row>(columns: TableColumn<Row>[], rows: Row[]): string {
  const cells = rows.map((row) => columns.map((column) => cellText(column, row)));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => (line[index] ?? '').length)),
  );

  const render = (line: string[]): string =>
    line
      .map((cell, index) => pad(cell, widths[index] ?? 0, columns[index]?.align ?? 'left'))
      .join('  ')
      .trimEnd();

  const header = render(columns.map((column) => column.header));
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [header, rule, ...cells.map(render)].join('\n') + '\n';
}

function cellText<Row>(column: TableColumn<Row>, row: Row): string {
  const raw = column.value(row);
  const text = escapeControlCharacters(raw === undefined ? '' : String(raw));
  if (column.maxWidth === undefined || text.length <= column.maxWidth) return text;
  return `${text.slice(0, Math.max(0, column.maxWidth - 1))}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}
