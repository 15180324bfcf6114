import { describe, expect, it } from 'vitest';
import { DEFAULT_FEEDBACK } from './feedback.js';
import { InteractionDataBuilder, type InteractionData, type PairPart } from './interaction-data.js';
import { splitInteractions } from './split.js';

const SIGNALS = { time: true, rating: true, seconds: false, completion: false };

/** Events as [user, item, day, rating]; with a cut-off day, events from that day on are late. */
function data(events: [string, string, number, number][], cutoffDay?: number): InteractionData {
  const builder = new InteractionDataBuilder();
  for (const [user, item, day, rating] of events) {
    const at = day * 86_400_000;
    const part: PairPart = { user, item, late: cutoffDay !== undefined && day >= cutoffDay, events: 1, firstAt: at, lastAt: at, seconds: 0, completionSum: 0, completionCount: 0, ratingSum: rating, ratingCount: 1 };
    builder.add(part);
  }
  return builder.finish('fixture', SIGNALS, cutoffDay === undefined ? {} : { cutoff: cutoffDay * 86_400_000 });
}

const itemsOf = (d: InteractionData, split: ReturnType<typeof splitInteractions>, user: string) => {
  const k = Array.from(split.testUsers).indexOf(d.users.indexOf(user));
  return k < 0 ? undefined : Array.from(split.relevant.subarray(split.relevantPtr[k]!, split.relevantPtr[k + 1]!), (i) => d.items[i]);
};

describe('evaluation protocols', () => {
  it('time: trains before the cut-off and tests on relevant items first met after it', () => {
    const d = data(
      [
        ['u1', 'a', 1, 5],
        ['u1', 'b', 2, 4],
        ['u1', 'a', 12, 5], // a rewatch after the cut-off: seen in train, not a test item
        ['u1', 'c', 11, 4], // relevant new item
        ['u1', 'd', 13, 2], // not relevant (2 stars)
        ['u2', 'b', 3, 4],
        ['u2', 'e', 14, 5], // e: nobody had it in train → cold, dropped
        ['u3', 'c', 15, 5], // u3 has nothing in train → cold
        ['u4', 'c', 4, 4],
      ],
      10,
    );
    const split = splitInteractions(d, { protocol: 'time', rules: DEFAULT_FEEDBACK, seed: 1, testShare: 0.2 });
    expect(split.train.length).toBe(4);
    expect(split.testPairs).toBe(4);
    expect(split.notRelevant).toBe(1);
    expect(split.cold).toBe(2);
    expect(Array.from(split.testUsers, (u) => d.users[u])).toEqual(['u1']);
    expect(itemsOf(d, split, 'u1')).toEqual(['c']);
    // u2 (only a cold item) and u3 (cold user) held out pairs but none relevant and rankable.
    expect(split.usersWithoutRelevant).toBe(2);
  });

  it("leave-last-out: holds out each user's latest item, ties to the higher item id", () => {
    const d = data([
      ['u1', 'a', 1, 5],
      ['u1', 'b', 3, 5],
      ['u1', 'c', 2, 5],
      ['u2', 'a', 5, 5],
      ['u2', 'c', 5, 5],
      ['u3', 'b', 1, 5], // one item: stays in train
      ['u4', 'a', 1, 5],
      ['u4', 'b', 2, 3], // the latest, but 3 stars: not relevant, u4 is left out
    ]);
    const split = splitInteractions(d, { protocol: 'leave-last-out', rules: DEFAULT_FEEDBACK, seed: 1, testShare: 0 });
    expect(itemsOf(d, split, 'u1')).toEqual(['b']);
    expect(itemsOf(d, split, 'u2')).toEqual(['c']);
    expect(itemsOf(d, split, 'u3')).toBeUndefined();
    expect(itemsOf(d, split, 'u4')).toBeUndefined();
    expect(split.usersWithoutRelevant).toBe(1);
    expect(split.train.length).toBe(5);
  });

  it('random: holds out about a quarter of every user with two items or more, reproducibly', () => {
    const events: [string, string, number, number][] = [];
    for (let u = 0; u < 5; u++) for (let i = 0; i < 8; i++) events.push([`u${u}`, `i${i}`, i, 5]);
    events.push(['solo', 'i0', 0, 5]);
    const d = data(events);
    const a = splitInteractions(d, { protocol: 'random', rules: DEFAULT_FEEDBACK, seed: 7, testShare: 0.25 });
    // 8 items each → 2 held out; the single-item user keeps its item in train.
    expect(Array.from(a.relevantPtr)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(a.train.length).toBe(5 * 6 + 1);
    const b = splitInteractions(d, { protocol: 'random', rules: DEFAULT_FEEDBACK, seed: 7, testShare: 0.25 });
    expect(Array.from(b.relevant)).toEqual(Array.from(a.relevant));
    const c = splitInteractions(d, { protocol: 'random', rules: DEFAULT_FEEDBACK, seed: 8, testShare: 0.25 });
    expect(Array.from(c.relevant)).not.toEqual(Array.from(a.relevant));
  });
});
