/** A small, dependency-free SVG chart: latency percentiles per scenario, one panel each, one line per server. */

export interface ChartPanel {
  scenario: string;
  /** server name -> latency (ms) at each of the chart's percentiles */
  series: Record<string, number[]>;
}

const COLORS: Record<string, string> = { service: '#d6452b', reference: '#2b6cd6' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const label = (v: number) => (v >= 1000 ? `${v / 1000} s` : `${+v.toPrecision(2)}`);

export function latencyChart(title: string, subtitle: string, percentiles: number[], panels: ChartPanel[]): string {
  const cols = Math.min(4, panels.length);
  const rows = Math.ceil(panels.length / cols);
  const pw = 250;
  const ph = 190;
  const top = 70;
  const width = cols * pw + 20;
  const height = top + rows * ph + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`,
  ];
  const servers = [...new Set(panels.flatMap((p) => Object.keys(p.series)))];
  // one logarithmic scale for every panel, whole decades: servers far apart stay readable and panels comparable
  const all = panels.flatMap((p) => Object.values(p.series).flat()).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(all.length ? Math.min(...all) : 1));
  const hi = 10 ** Math.max(Math.log10(lo) + 1, Math.ceil(Math.log10(all.length ? Math.max(...all) : 10)));
  const decades: number[] = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) decades.push(d);
  servers.forEach((s, i) => {
    const x = 10 + i * 110;
    out.push(`<line x1="${x}" y1="54" x2="${x + 22}" y2="54" stroke="${COLORS[s] ?? '#333'}" stroke-width="2.5"/>`);
    out.push(`<text x="${x + 28}" y="58">${esc(s)}</text>`);
  });
  panels.forEach((panel, i) => {
    const ox = 10 + (i % cols) * pw;
    const oy = top + Math.floor(i / cols) * ph;
    const left = ox + 42;
    const right = ox + pw - 12;
    const plotTop = oy + 22;
    const bottom = oy + ph - 34;
    const x = (k: number) => left + ((right - left) * k) / Math.max(1, percentiles.length - 1);
    const y = (v: number) => bottom - ((bottom - plotTop) * Math.log10(Math.min(hi, Math.max(lo, v)) / lo)) / Math.log10(hi / lo);
    out.push(`<text x="${ox + pw / 2}" y="${oy + 12}" text-anchor="middle" font-weight="bold">${esc(panel.scenario)}</text>`);
    for (const d of decades) {
      out.push(`<line x1="${left}" y1="${y(d).toFixed(1)}" x2="${right}" y2="${y(d).toFixed(1)}" stroke="#ddd"/>`);
      out.push(`<text x="${left - 4}" y="${(y(d) + 4).toFixed(1)}" text-anchor="end" fill="#555">${label(d)}</text>`);
      for (const m of [2, 5]) {
        if (d * m < hi) out.push(`<line x1="${left}" y1="${y(d * m).toFixed(1)}" x2="${right}" y2="${y(d * m).toFixed(1)}" stroke="#f2f2f2"/>`);
      }
    }
    percentiles.forEach((p, k) => out.push(`<text x="${x(k)}" y="${bottom + 14}" text-anchor="middle" fill="#555">p${p}</text>`));
    out.push(`<text x="${ox + 8}" y="${(plotTop + bottom) / 2}" transform="rotate(-90 ${ox + 8} ${(plotTop + bottom) / 2})" text-anchor="middle" fill="#555">ms (log)</text>`);
    out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#999"/>`);
    for (const [server, values] of Object.entries(panel.series)) {
      const color = COLORS[server] ?? '#333';
      const pts = values.map((v, k) => (Number.isFinite(v) ? `${x(k).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean);
      if (pts.length > 1) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      values.forEach((v, k) => {
        if (Number.isFinite(v)) {
          out.push(`<circle cx="${x(k).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.8" fill="${color}"><title>${esc(server)} p${percentiles[k]}: ${v.toFixed(2)} ms</title></circle>`);
        }
      });
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
