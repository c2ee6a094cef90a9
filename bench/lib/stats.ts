export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const round = (n: number, d = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n);

/**
 * The median of the per-round ratios of two alternately measured scenarios: a slow spell of the
 * machine lands on both sides of one round's ratio, where a ratio of medians would mix rounds.
 */
export function pairedRatio(product: { runs: number[] } | undefined, ceiling: { runs: number[] } | undefined): number | undefined {
  if (!product || !ceiling || product.runs.length !== ceiling.runs.length) return undefined;
  return median(product.runs.map((x, i) => x / ceiling.runs[i]));
}
