type SparklineProps = { values: readonly number[]; width?: number; height?: number; label: string };

/** A tiny inline SVG trend line; a chart library would be heavier than the whole card. */
export function Sparkline({ values, width = 120, height = 32, label }: SparklineProps) {
  if (values.length < 2) return <svg className="sparkline" width={width} height={height} aria-hidden="true" />;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = width / (values.length - 1);
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - 3 - ((v - min) / span) * (height - 6)).toFixed(1)}`,
  );
  const last = points.at(-1)?.split(',') ?? ['0', '0'];
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <polyline points={`0,${height} ${points.join(' ')} ${width},${height}`} className="sparkline-area" />
      <polyline points={points.join(' ')} className="sparkline-line" />
      <circle cx={last[0]} cy={last[1]} r="2.5" className="sparkline-dot" />
    </svg>
  );
}
