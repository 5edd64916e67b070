/**
 * What a bench's child process read and wrote: Linux /proc/self/io `rchar` and `wchar`
 * (every byte passed through read()/write(), sockets and files alike). Shared by the
 * child scripts of predict-engines.ts and train-engines.ts.
 */
import { readFileSync } from 'node:fs';

/** The process's I/O counters, or null where /proc/self/io is not there (not Linux). */
export function io() {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)[1]);
    return { rchar: field('rchar'), wchar: field('wchar') };
  } catch {
    return null;
  }
}
