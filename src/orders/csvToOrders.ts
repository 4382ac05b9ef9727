import { parse } from 'csv-parse/sync';
import {
  ORDER_MESSAGE_TYPE,
  orderMessageV1Schema,
  type OrderKind,
  type OrderMessage,
} from './contract';
import { londonLocalToIso } from './londonTime';
import { AppError } from '../shared/errors';

/** Product codes in the data set: five digits, sometimes followed by letters. */
const PRODUCT_CODE = /^\d{5}[A-Za-z]*$/;

const COLUMNS = [
  'InvoiceNo',
  'StockCode',
  'Description',
  'Quantity',
  'InvoiceDate',
  'UnitPrice',
  'CustomerID',
  'Country',
] as const;

type CsvRow = Record<(typeof COLUMNS)[number], string>;

function isProductCode(stockCode: string): boolean {
  return PRODUCT_CODE.test(stockCode);
}

/**
 * Turns the UCI Online Retail CSV (BOM, CRLF, RFC 4180 quoting) into order messages, one per
 * invoice, in file order. Mapping:
 * - `C` invoices are cancellations; their negative quantities become positive units returned.
 * - other invoices whose every line has quantity <= 0 are stock adjustments (units written off).
 * - every other invoice is a sale; a sale line with a negative quantity is refused.
 * - codes that are not products (`POST`, `D`, `M`, `DOT`, `C2`, `BANK CHARGES`) become charges.
 * Every message is checked against the contract before it is returned.
 *
 * @throws AppError `InvalidOrderData` naming the CSV line when a row cannot be mapped.
 */
export function csvToOrderMessages(csvText: string | Buffer, currency = 'GBP'): OrderMessage[] {
  const rows = parseRows(csvText);
  const invoices = new Map<string, { firstLine: number; rows: CsvRow[] }>();

  rows.forEach((row, index) => {
    const invoice = invoices.get(row.InvoiceNo) ?? { firstLine: index + 2, rows: [] };
    invoice.rows.push(row);
    invoices.set(row.InvoiceNo, invoice);
  });

  return [...invoices.entries()].map(([invoiceNo, invoice]) =>
    toOrderMessage(invoiceNo, invoice.rows, invoice.firstLine, currency),
  );
}

function parseRows(csvText: string | Buffer): CsvRow[] {
  const rows = parse(csvText, { bom: true, columns: true, skip_empty_lines: true }) as CsvRow[];
  const header = rows.length > 0 ? Object.keys(rows[0] as object) : [];
  const missing = COLUMNS.filter((column) => !header.includes(column));
  if (rows.length > 0 && missing.length > 0) {
    throw new AppError('InvalidOrderData', `CSV lacks the columns ${missing.join(', ')}`);
  }
  return rows;
}

function toOrderMessage(
  invoiceNo: string,
  rows: CsvRow[],
  firstLine: number,
  currency: string,
): OrderMessage {
  const first = rows[0] as CsvRow;
  const kind = kindOf(invoiceNo, rows);
  const lines: OrderMessage['lines'] = [];
  const charges: OrderMessage['charges'] = [];

  rows.forEach((row, index) => {
    const quantity = Number(row.Quantity);
    const units = kind === 'sale' ? quantity : -quantity;
    if (!Number.isInteger(quantity) || units <= 0) {
      throw new AppError(
        'InvalidOrderData',
        `CSV line ${firstLine + index}: quantity ${row.Quantity} does not fit a ${kind}`,
      );
    }

    const line = {
      lineNo: index + 1,
      description: row.Description.trim(),
      quantity: units,
      unitPrice: normaliseMoney(row.UnitPrice, firstLine + index),
    };
    if (isProductCode(row.StockCode)) lines.push({ ...line, sku: row.StockCode });
    else charges.push({ ...line, code: row.StockCode });
  });

  const message = {
    type: ORDER_MESSAGE_TYPE,
    version: 1,
    orderId: invoiceNo,
    kind,
    customerId: first.CustomerID.trim() === '' ? null : first.CustomerID.trim(),
    country: first.Country.trim(),
    placedAt: londonLocalToIso(first.InvoiceDate),
    currency,
    lines,
    charges,
  };
  const checked = orderMessageV1Schema.safeParse(message);
  if (!checked.success) {
    throw new AppError('InvalidOrderData', `invoice ${invoiceNo}: ${checked.error.message}`);
  }
  return checked.data;
}

function kindOf(invoiceNo: string, rows: CsvRow[]): OrderKind {
  if (invoiceNo.startsWith('C')) return 'cancellation';
  if (rows.every((row) => Number(row.Quantity) <= 0)) return 'adjustment';
  return 'sale';
}

/** `2.1` → `2.10`, `18` → `18.00`: the contract's two-decimal form, refused if inexact. */
function normaliseMoney(text: string, csvLine: number): string {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (match === null) {
    throw new AppError('InvalidOrderData', `CSV line ${csvLine}: price ${text} is not exact`);
  }
  return `${match[1]}.${(match[2] ?? '').padEnd(2, '0')}`;
}
