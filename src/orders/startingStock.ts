import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../shared/errors';

const stockQuantity = z.number().int().min(0).max(1_000_000_000);

const startingStockSchema = z.strictObject({
  note: z.string().optional(),
  defaultQuantity: stockQuantity,
  quantities: z.record(z.string().min(1), stockQuantity),
});

/** Units on hand per SKU before any order is processed; unknown SKUs get the default. */
export interface StartingStock {
  quantityFor(sku: string): number;
}

export function startingStockFrom(value: unknown, source = 'starting stock'): StartingStock {
  const parsed = startingStockSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(`${source} is invalid: ${z.prettifyError(parsed.error)}`);
  }

  const quantities = new Map(Object.entries(parsed.data.quantities));
  const defaultQuantity = parsed.data.defaultQuantity;
  return { quantityFor: (sku) => quantities.get(sku) ?? defaultQuantity };
}

/** @throws ConfigError when the file is missing, not JSON, or not in the documented shape. */
export function loadStartingStock(filePath: string): StartingStock {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the starting-stock file ${filePath}`, { cause: error });
  }

  try {
    return startingStockFrom(JSON.parse(text), filePath);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new ConfigError(`the starting-stock file ${filePath} is not JSON`, { cause: error });
    }
    throw error;
  }
}
