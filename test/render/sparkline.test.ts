import { describe, expect, it } from 'vitest';
import { resample, sparkline } from '../../src/render/sparkline.ts';

describe('the one sparkline (watch, report, pcap --timeline)', () => {
  it('draws each value as the lowest eighth-block at least as tall', () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe('▁▁▂▄█');
    expect(sparkline([0, 4, 8], 3, { blankZero: true })).toBe(' ▄█');
    expect(sparkline([0, 0, 0])).toBe('▁▁▁');
    expect(sparkline([5, 5])).toBe('██');
  });

  it('keeps the last width values, and resample keeps the peaks of a longer series', () => {
    expect(sparkline([8, 0, 8], 2)).toBe('▁█');
    expect(resample([0, 9, 0, 0, 0, 3], 3)).toEqual([9, 0, 3]);
  });
});
