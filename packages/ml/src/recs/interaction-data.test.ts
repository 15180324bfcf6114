import { describe, expect, it } from 'vitest';
import { InteractionDataBuilder, meanCompletion, mergePairSets, sortedIds, type PairPart } from './interaction-data.js';

const part = (user: string, item: string, late: boolean, at: number, extra: Partial<PairPart> = {}): PairPart => ({
  user,
  item,
  late,
  events: 1,
  firstAt: at,
  lastAt: at,
  seconds: 0,
  completionSum: 0,
  completionCount: 0,
  ratingSum: 0,
  ratingCount: 0,
  ...extra,
});

describe('interactions summed per pair', () => {
  it('numbers ids in sorted order whatever order they came in, numerically when all are integers', () => {
    expect(Array.from(sortedIds(['10', '9', '100']))).toEqual([1, 0, 2]);
    expect(Array.from(sortedIds(['b', '10', 'a']))).toEqual([1, 2, 0]);
    const builder = new InteractionDataBuilder();
    builder.add(part('10', 'x', false, 5));
    builder.add(part('9', 'x', false, 6));
    const data = builder.finish('fixture', { time: true, rating: false, seconds: false, completion: false });
    expect(data.users).toEqual(['9', '10']);
    expect(Array.from(data.early.user)).toEqual([0, 1]);
  });

  it('sums events into a pair, keeps the early and late sides apart, and merges them back', () => {
    const builder = new InteractionDataBuilder();
    builder.add(part('1', 'a', false, 300, { seconds: 600, completionSum: 0.5, completionCount: 1 }));
    builder.add(part('1', 'a', false, 100, { seconds: 1200, completionSum: 1, completionCount: 1 }));
    builder.add(part('1', 'a', true, 900, { seconds: 60, completionSum: 0.3, completionCount: 1, ratingSum: 4, ratingCount: 1 }));
    builder.add(part('2', 'b', true, 950));
    const data = builder.finish('fixture', { time: true, rating: true, seconds: true, completion: true }, { cutoff: 800 });
    expect(data.events).toBe(4);
    expect(data.early.length).toBe(1);
    expect(data.early.events[0]).toBe(2);
    expect(data.early.firstAt[0]).toBe(100);
    expect(data.early.lastAt[0]).toBe(300);
    expect(data.early.seconds[0]).toBe(1800);
    expect(meanCompletion(data.early, 0)).toBe(0.75);
    expect(data.late!.length).toBe(2);
    const all = mergePairSets(data.early, data.late!);
    expect(all.length).toBe(2);
    expect(Array.from(all.events)).toEqual([3, 1]);
    expect(Array.from(all.lastAt)).toEqual([900, 950]);
    expect(meanCompletion(all, 0)).toBeCloseTo(1.8 / 3, 12);
    expect(Array.from(all.ratingCount)).toEqual([1, 0]);
  });
});
