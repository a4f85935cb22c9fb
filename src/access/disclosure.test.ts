import { describe, expect, it } from 'vitest';
import { suppressCells, type AdditiveGroup, type DisclosureCell } from './disclosure';

/** Cells from counts; `null` is an unknown count, `'.'` a cell already hidden (count 50). */
function table(counts: Record<string, number | null | '.'>): Map<string, DisclosureCell> {
  return new Map(
    Object.entries(counts).map(([id, c]) => [id, c === '.' ? { value: 50, hidden: true } : { value: c, hidden: false }]),
  );
}

const sorted = (ids: Iterable<string>) => [...ids].sort();

describe('suppressCells', () => {
  it('hides nothing when every count is at least the threshold or zero', () => {
    const cells = table({ K: 30, g1: 0, g2: 3, g3: 27 });
    expect(sorted(suppressCells(cells, [['K', 'g1', 'g2', 'g3']]))).toEqual([]);
  });

  it('hides a second cell when one child is hidden: the smallest other one', () => {
    const cells = table({ K: 100, g1: 2, g2: 10, g3: 20, g4: 68 });
    expect(sorted(suppressCells(cells, [['K', 'g1', 'g2', 'g3', 'g4']]))).toEqual(['g1', 'g2']);
  });

  it('leaves a group with two hidden cells alone', () => {
    const cells = table({ K: 40, g1: 1, g2: 2, g3: 37 });
    expect(sorted(suppressCells(cells, [['K', 'g1', 'g2', 'g3']]))).toEqual(['g1', 'g2']);
  });

  it('does not suppress a true zero, nor choose it as the complement while a positive count is visible', () => {
    const cells = table({ K: 12, g1: 2, g2: 0, g3: 10 });
    expect(sorted(suppressCells(cells, [['K', 'g1', 'g2', 'g3']]))).toEqual(['g1', 'g3']);
  });

  it('chooses a zero only when no positive count is left visible', () => {
    const cells = table({ g1: 2, g2: 0 });
    expect(sorted(suppressCells(cells, [['g1', 'g2']]))).toEqual(['g1', 'g2']);
  });

  it('iterates over overlapping groups: a hidden Kreis forces a second Kreis, which forces one of its Gemeinden', () => {
    // Land = K1 + K2 + K3; K1 = a1 + a2 (all small); K2 = b1 + b2; K3 = c1 + c2.
    const cells = table({ L: 100, K1: 2, K2: 30, K3: 68, a1: 1, a2: 1, b1: 10, b2: 20, c1: 30, c2: 38 });
    const groups: AdditiveGroup[] = [
      ['L', 'K1', 'K2', 'K3'],
      ['K1', 'a1', 'a2'],
      ['K2', 'b1', 'b2'],
      ['K3', 'c1', 'c2'],
    ];
    // Pass 1: the Land group has one hidden cell (K1) -> K2. Pass 2: K2's group has one -> b1.
    expect(sorted(suppressCells(cells, groups))).toEqual(['K1', 'K2', 'a1', 'a2', 'b1']);
  });

  it('treats cells already hidden and unknown counts as hidden', () => {
    const cells = table({ K: 90, g1: '.', g2: 30, g3: 10, h1: null, h2: 5 });
    const groups: AdditiveGroup[] = [['K', 'g1', 'g2', 'g3'], ['K', 'h1', 'h2']];
    expect(sorted(suppressCells(cells, groups))).toEqual(['g1', 'g3', 'h1', 'h2']);
  });

  it('breaks ties by the smallest id', () => {
    const cells = table({ K: 20, g1: 1, g3: 5, g2: 5, g4: 9 });
    expect(sorted(suppressCells(cells, [['K', 'g4', 'g3', 'g2', 'g1']]))).toEqual(['g1', 'g2']);
  });

  it('takes the threshold as a parameter', () => {
    const cells = table({ K: 20, g1: 4, g2: 16 });
    expect(sorted(suppressCells(cells, [['K', 'g1', 'g2']], { threshold: 5 }))).toEqual(['g1', 'g2']);
    expect(sorted(suppressCells(cells, [['K', 'g1', 'g2']]))).toEqual([]);
  });

  it('gives the same result whatever the order of cells, groups and group members', () => {
    const counts = { L: 200, K1: 60, K2: 70, K3: 70, a1: 2, a2: 4, a3: 4, a4: 50, b1: 1, b2: 1, b3: 68, c1: 0, c2: 35, c3: 35 };
    const groups: AdditiveGroup[] = [
      ['L', 'K1', 'K2', 'K3'],
      ['K1', 'a1', 'a2', 'a3', 'a4'],
      ['K2', 'b1', 'b2', 'b3'],
      ['K3', 'c1', 'c2', 'c3'],
    ];
    const expected = sorted(suppressCells(table(counts), groups));
    expect(expected).toEqual(['a1', 'a2', 'b1', 'b2']);

    const reversedCells = table(Object.fromEntries(Object.entries(counts).reverse()));
    const reversedGroups = groups.map((g) => [...g].reverse()).reverse();
    expect(sorted(suppressCells(reversedCells, reversedGroups))).toEqual(expected);
    const rotatedGroups = groups.map((g) => [...g.slice(2), ...g.slice(0, 2)]);
    expect(sorted(suppressCells(reversedCells, [...rotatedGroups.slice(1), rotatedGroups[0]]))).toEqual(expected);
  });

  it('refuses groups that name unknown cells and counts that are not counts', () => {
    expect(() => suppressCells(table({ K: 5 }), [['K', 'nope']])).toThrow(RangeError);
    expect(() => suppressCells(table({ K: -1 }), [])).toThrow(RangeError);
  });
});
