/**
 * A journey's steps laid out for drawing: each step in the column of its distance from the
 * start (breadth first, so loops back to an earlier step do not push it right), one row per
 * step within a column; an edge per next step, labelled with the field that names it.
 */
import type { JourneyStepDef } from './types';

export interface LaidNode { step: JourneyStepDef; x: number; y: number }
export interface LaidEdge { from: string; to: string; label: string }

export const NODE = { w: 190, h: 70, gapX: 90, gapY: 28, pad: 16 };

export function nextOf(step: JourneyStepDef): { label: string; to: string }[] {
  const out: { label: string; to: string }[] = [];
  if (typeof step.next === 'string') out.push({ label: '', to: step.next });
  else if (step.next) for (const [outcome, to] of Object.entries(step.next)) out.push({ label: outcome, to });
  step.branches?.forEach((b, i) => out.push({ label: b.name ?? `#${i + 1}`, to: b.next }));
  if (step.default) out.push({ label: 'default', to: step.default });
  step.paths?.forEach((p, i) => out.push({ label: `${p.name ?? `#${i + 1}`} ${p.percent}%`, to: p.next }));
  return out;
}

export function layout(steps: JourneyStepDef[], start?: string): { nodes: LaidNode[]; edges: LaidEdge[]; width: number; height: number } {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const first = start ?? steps[0]?.id;
  const queue = first && byId.has(first) ? [first] : [];
  if (first) depth.set(first, 0);
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const { to } of nextOf(byId.get(id)!)) {
      if (!depth.has(to) && byId.has(to)) {
        depth.set(to, depth.get(id)! + 1);
        queue.push(to);
      }
    }
  }
  // Steps the start does not reach (the API refuses such drafts, but a drawing should not lose them): a last column.
  const last = Math.max(-1, ...depth.values()) + 1;
  for (const s of steps) if (!depth.has(s.id)) depth.set(s.id, last);
  const rows = new Map<number, number>();
  const nodes = steps.map((step) => {
    const col = depth.get(step.id)!;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    return { step, x: NODE.pad + col * (NODE.w + NODE.gapX), y: NODE.pad + row * (NODE.h + NODE.gapY) };
  });
  const edges = steps.flatMap((s) => nextOf(s).filter((e) => byId.has(e.to)).map((e) => ({ from: s.id, to: e.to, label: e.label })));
  const width = Math.max(...nodes.map((n) => n.x + NODE.w), 0) + NODE.pad;
  const height = Math.max(...nodes.map((n) => n.y + NODE.h), 0) + NODE.pad;
  return { nodes, edges, width, height };
}
