/** Text tables for terminals and markdown (the CLI's tables, the fidelity report). */

/** Rows under an optional header: columns left-aligned, except numeric cells of tables with a header (right-aligned). */
export function table(rows: Array<Array<string | number | null | undefined>>, header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const cells = all.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (!header || i === 0 || !/^[-+0-9.,%e]+$/.test(c) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = cells.map(line);
  if (header) out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n') + '\n';
}

/** Rows under a header as a terminal table, or a markdown table (first column left-aligned, the others right). */
export function render(rows: string[][], header: string[], format: string): string {
  if (format === 'markdown') {
    const esc = (s: string): string => s.replace(/\|/g, '\\|');
    const lines = [
      `| ${header.map(esc).join(' | ')} |`,
      `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    ];
    return lines.join('\n') + '\n';
  }
  return table(rows, header);
}
