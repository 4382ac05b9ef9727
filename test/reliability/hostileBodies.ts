import type { OrderMessage } from '../../src/orders/contract';
import { caseBuilder, type HostileCase } from './hostileCaseBuilder';
import { addEncodingCases } from './hostileEncodingCases';
import { addJsonCases } from './hostileJsonCases';

export type { Expectation, HostileCase } from './hostileCaseBuilder';

/** A deterministic generator (mulberry32), so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** At least 200 hostile bodies built around one real order, the same ones for one seed. */
export function hostileCases(base: OrderMessage, seed = 7): HostileCase[] {
  const cases: HostileCase[] = [];
  const builder = caseBuilder(base, seededRandom(seed), cases);

  addJsonCases(builder);
  addEncodingCases(builder);
  return cases;
}
