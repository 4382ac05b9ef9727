import { readFileSync } from 'node:fs';

import { SAMPLE_EVERY_MS } from './common';

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Samples a process's CPU time so that its use over any later window can be read back. */
export function cpuSampler(pid: number) {
  const samples: Array<{ epochMs: number; cpuSeconds: number }> = [];
  const take = (): void => {
    samples.push({ epochMs: Date.now(), cpuSeconds: cpuSeconds(pid) });
  };
  take();
  const timer = setInterval(take, SAMPLE_EVERY_MS);

  return {
    stop(): void {
      take();
      clearInterval(timer);
    },
    /** Share of one core used between two epoch times (nearest samples inside the window). */
    shareBetween(fromMs: number, toMs: number): number {
      const inside = samples.filter((s) => s.epochMs >= fromMs && s.epochMs <= toMs);
      const first = inside[0];
      const last = inside[inside.length - 1];
      if (first === undefined || last === undefined || last.epochMs === first.epochMs) return NaN;
      return (last.cpuSeconds - first.cpuSeconds) / ((last.epochMs - first.epochMs) / 1000);
    },
  };
}
