import { randomBytes } from 'node:crypto';

export type ShippingService = 'domestic-tracked' | 'europe-tracked' | 'international-tracked';

const HOME_COUNTRY = 'United Kingdom';

/** Countries the data set names that a European road service reaches (EIRE is Ireland). */
const EUROPE = new Set([
  'Austria',
  'Belgium',
  'Channel Islands',
  'Cyprus',
  'Czech Republic',
  'Denmark',
  'EIRE',
  'Finland',
  'France',
  'Germany',
  'Greece',
  'Iceland',
  'Italy',
  'Lithuania',
  'Malta',
  'Netherlands',
  'Norway',
  'Poland',
  'Portugal',
  'Spain',
  'Sweden',
  'Switzerland',
]);

export function shippingServiceFor(country: string): ShippingService {
  if (country === HOME_COUNTRY) return 'domestic-tracked';
  return EUROPE.has(country) ? 'europe-tracked' : 'international-tracked';
}

/** A carrier-style tracking id: two letters, ten random digits-and-letters, `GB`. */
export function newTrackingId(): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
  const chars = [...randomBytes(10)].map((byte) => alphabet[byte % alphabet.length]);
  return `SB${chars.join('')}GB`;
}
