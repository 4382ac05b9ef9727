import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OrderMessage } from './contract';
import { csvToOrderMessages } from './csvToOrders';

/** dist/src/orders → the app root, where package.json, host.json and sample-data/ live. */
export const APP_ROOT = resolve(__dirname, '..', '..', '..');

const SAMPLE_ORDERS_CSV = join(APP_ROOT, 'sample-data', 'uci-online-retail-first-511-invoices.csv');
export const DEFAULT_STARTING_STOCK_FILE = join(APP_ROOT, 'sample-data', 'starting-stock.json');

/** The 511 sample invoices as order messages, in file order (for the main job's loader). */
export function readSampleOrders(csvPath = SAMPLE_ORDERS_CSV): OrderMessage[] {
  return csvToOrderMessages(readFileSync(csvPath));
}
