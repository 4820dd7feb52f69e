import { h, svg } from './dom';

export interface Series {
  label: string;
  cls: string;
  values: { start: string; value: number }[];
}

const W = 480;
const H = 160;
const PAD = { left: 40, right: 8, top: 8, bottom: 22 };

/**
 * An hourly bar chart in SVG (no script, no inline style), with an optional limit line, and the same figures as a
 * table for screen readers.
 */
export function barChart(
  title: string,
  series: Series[],
  limit?: { label: string; value: number },
): HTMLElement {
  const n = Math.max(...series.map((s) => s.values.length), 1);
  const max = Math.max(1, limit?.value ?? 0, ...series.flatMap((s) => s.values.map((v) => v.value)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / n;
  const barW = Math.max(1, (slot - 2) / series.length);
  const y = (v: number): number => PAD.top + plotH - (v / max) * plotH;
  const bars = series.flatMap((s, si) =>
    s.values.map((v, i) =>
      svg(
        'rect',
        {
          class: s.cls,
          x: (PAD.left + i * slot + 1 + si * barW).toFixed(1),
          y: y(v.value).toFixed(1),
          width: barW.toFixed(1),
          height: (PAD.top + plotH - y(v.value)).toFixed(1),
        },
        svg('title', null, `${s.label} ${hourLabel(v.start)}: ${v.value}`),
      ),
    ),
  );
  const first = series[0]?.values[0]?.start;
  const last = series[0]?.values[n - 1]?.start;
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      class: 'chart',
      role: 'img',
      'aria-label': `${title} per hour, last 24 hours`,
    },
    svg('line', { class: 'axis', x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
    svg('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end' }, String(max)),
    svg('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + plotH, 'text-anchor': 'end' }, '0'),
    first === undefined ? null : svg('text', { class: 'tick', x: PAD.left, y: H - 6 }, hourLabel(first)),
    last === undefined
      ? null
      : svg('text', { class: 'tick', x: W - PAD.right, y: H - 6, 'text-anchor': 'end' }, hourLabel(last)),
    bars,
    limit === undefined
      ? null
      : svg(
          'line',
          { class: 'limit', x1: PAD.left, x2: W - PAD.right, y1: y(limit.value), y2: y(limit.value) },
          svg('title', null, `${limit.label}: ${limit.value}`),
        ),
  );
  const totals = series.map((s) => `${s.label}: ${s.values.reduce((a, v) => a + v.value, 0)}`).join(' · ');
  return h(
    'figure',
    { class: 'chart-box' },
    h('figcaption', null, h('strong', null, title), ' ', h('span', { class: 'muted' }, `(24 h) ${totals}`)),
    chart,
    h(
      'ul',
      { class: 'legend' },
      series.map((s) =>
        h('li', null, h('span', { class: `swatch ${s.cls}`, 'aria-hidden': 'true' }), s.label),
      ),
      limit === undefined
        ? null
        : h(
            'li',
            null,
            h('span', { class: 'swatch limit', 'aria-hidden': 'true' }),
            `${limit.label} (${limit.value})`,
          ),
    ),
  );
}

function hourLabel(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
