/** A journey drawn as its graph of steps, with the per-step counts when the stats are there. */
import { useFormat, useT } from '../i18n';
import { layout, NODE } from '../journeyLayout';
import type { JourneyStepDef, JourneyStats } from '../types';

export function JourneyGraph({ steps, start, stats, name }: { steps: JourneyStepDef[]; start?: string; stats?: JourneyStats; name: string }) {
  const t = useT();
  const f = useFormat();
  const { nodes, edges, width, height } = layout(steps, start);
  const at = new Map(nodes.map((n) => [n.step.id, n]));
  return (
    <div class="graph" tabIndex={0} role="region" aria-label={t('journeys.graph', { name })}>
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={t('journeys.graph', { name })} data-testid="journey-graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#3d4451" />
          </marker>
        </defs>
        {edges.map((e, i) => {
          const a = at.get(e.from)!;
          const b = at.get(e.to)!;
          const back = b.x <= a.x;
          const x1 = a.x + NODE.w, y1 = a.y + NODE.h / 2;
          const x2 = back ? b.x + NODE.w / 2 : b.x, y2 = back ? b.y + NODE.h : b.y + NODE.h / 2;
          // A loop back to an earlier step bends below the boxes; a forward edge is a gentle curve.
          const d = back
            ? `M ${x1} ${y1} C ${x1 + 40} ${y1 + NODE.h}, ${x2} ${y2 + 40}, ${x2} ${y2}`
            : `M ${x1} ${y1} C ${x1 + NODE.gapX / 2} ${y1}, ${x2 - NODE.gapX / 2} ${y2}, ${x2} ${y2}`;
          const left = stats?.steps[e.from]?.left[e.to];
          const label = [e.label, left !== undefined ? f.n(left) : ''].filter(Boolean).join(' · ');
          return (
            <g key={i} class="edge">
              <path d={d} fill="none" stroke="#3d4451" stroke-width="1.5" marker-end="url(#arrow)" />
              {label ? <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 6} text-anchor="middle" class="edge-label">{label}</text> : null}
            </g>
          );
        })}
        {nodes.map(({ step, x, y }) => {
          const s = stats?.steps[step.id];
          return (
            <g key={step.id} class={`node node-${step.kind}`} data-step={step.id}>
              <rect x={x} y={y} width={NODE.w} height={NODE.h} rx="8" />
              <text x={x + 10} y={y + 20} class="node-title">{step.name ?? step.id}</text>
              <text x={x + 10} y={y + 38} class="node-kind">{step.kind}</text>
              {s ? <text x={x + 10} y={y + 58} class="node-counts" data-testid={`step-counts-${step.id}`}>{`${t('journeys.entered')} ${f.n(s.entered)} · ${t('journeys.waiting')} ${f.n(s.waiting)}`}</text> : null}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
