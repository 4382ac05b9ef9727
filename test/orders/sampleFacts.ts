import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Facts about the sample data computed the plain way, with none of the code under test: a
 * hand-written CSV line splitter and a straight simulation of stock in file order. Tests
 * compare what the job did against these numbers.
 */

/** dist/test/orders → the project root. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');
export const SAMPLE_CSV = resolve(
  PROJECT_ROOT,
  'sample-data',
  'uci-online-retail-first-511-invoices.csv',
);
export const STARTING_STOCK = resolve(PROJECT_ROOT, 'sample-data', 'starting-stock.json');

export interface Row {
  invoice: string;
  code: string;
  quantity: number;
  pricePence: number;
  customer: string;
  country: string;
}

export function readRows(): Row[] {
  const text = readFileSync(SAMPLE_CSV, 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split('\r\n').filter((line) => line !== '');
  return lines.slice(1).map((line) => {
    const f = splitCsvLine(line);
    const [whole, cents = ''] = (f[5] as string).split('.');
    return {
      invoice: f[0] as string,
      code: f[1] as string,
      quantity: parseInt(f[3] as string, 10),
      pricePence: parseInt(whole as string, 10) * 100 + parseInt(cents.padEnd(2, '0'), 10),
      customer: f[6] as string,
      country: f[7] as string,
    };
  });
}

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

export const isProduct = (code: string): boolean => /^[0-9]{5}[A-Za-z]*$/.test(code);

export function invoicesOf(rows: Row[]): Map<string, Row[]> {
  const invoices = new Map<string, Row[]>();
  for (const row of rows) invoices.set(row.invoice, [...(invoices.get(row.invoice) ?? []), row]);
  return invoices;
}

export function kindOf(invoice: string, rows: Row[]): 'sale' | 'cancellation' | 'adjustment' {
  if (invoice.startsWith('C')) return 'cancellation';
  return rows.every((row) => row.quantity <= 0) ? 'adjustment' : 'sale';
}

export interface Expected {
  invoices: number;
  fulfilled: number;
  partlyBackordered: number;
  backordered: number;
  cancelled: number;
  adjusted: number;
  shipments: number;
  orderedUnits: number;
  reservedUnits: number;
  backorderedUnits: number;
  returnedUnits: number;
  saleTotalPence: number;
  chargeLines: number;
  productSkus: number;
  finalStock: Map<string, number>;
}

/** Processes the invoices in file order with the starting stock, as the README describes. */
export function simulateInFileOrder(): Expected {
  const stockFile = JSON.parse(readFileSync(STARTING_STOCK, 'utf8')) as {
    defaultQuantity: number;
    quantities: Record<string, number>;
  };
  const stock = new Map<string, number>();
  const onHand = (sku: string): number =>
    stock.get(sku) ?? stockFile.quantities[sku] ?? stockFile.defaultQuantity;
  const e: Expected = {
    invoices: 0,
    fulfilled: 0,
    partlyBackordered: 0,
    backordered: 0,
    cancelled: 0,
    adjusted: 0,
    shipments: 0,
    orderedUnits: 0,
    reservedUnits: 0,
    backorderedUnits: 0,
    returnedUnits: 0,
    saleTotalPence: 0,
    chargeLines: 0,
    productSkus: 0,
    finalStock: stock,
  };

  for (const [invoice, rows] of invoicesOf(readRows())) {
    const kind = kindOf(invoice, rows);
    e.invoices++;
    e.chargeLines += rows.filter((row) => !isProduct(row.code)).length;
    let reserved = 0;
    let short = 0;
    for (const row of rows.filter((r) => isProduct(r.code))) {
      if (kind === 'sale') {
        const take = Math.min(onHand(row.code), row.quantity);
        stock.set(row.code, onHand(row.code) - take);
        reserved += take;
        short += row.quantity - take;
        e.orderedUnits += row.quantity;
      } else if (kind === 'cancellation') {
        stock.set(row.code, onHand(row.code) - row.quantity);
        e.returnedUnits -= row.quantity;
      }
    }
    if (kind === 'sale') {
      e.saleTotalPence += rows.reduce((sum, row) => sum + row.quantity * row.pricePence, 0);
      e.reservedUnits += reserved;
      e.backorderedUnits += short;
      if (reserved > 0) e.shipments++;
      if (short === 0) e.fulfilled++;
      else if (reserved > 0) e.partlyBackordered++;
      else e.backordered++;
    }
    if (kind === 'cancellation') e.cancelled++;
    if (kind === 'adjustment') e.adjusted++;
  }
  e.productSkus = stock.size;
  return e;
}
