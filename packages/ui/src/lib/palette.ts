const COLORS = [
  '#2f7ed8',
  '#e4572e',
  '#17a673',
  '#a05fd6',
  '#f2a900',
  '#00a3c4',
  '#d6336c',
  '#6c7a89',
  '#7cb342',
  '#8d6e63',
]

/** A distinct line colour per run index. */
export function runColor(index: number): string {
  return COLORS[index % COLORS.length]!
}

/** The current value of a theme variable (canvas drawing cannot use `var(...)`). */
export function cssVar(name: string): string {
  if (typeof document === 'undefined') return '#888'
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}
