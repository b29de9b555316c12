/**
 * The checks of a definition that need the whole graph: every next names a step, every step
 * can be reached from the entry step and can reach an exit, and no loop lacks a wait (a
 * profile would spin through it with no pause). Pure.
 */
import { nextSteps, WAITING_KINDS, type JourneyStep } from '../domain/journeys';
import type { FieldIssue } from '../lib/invalidInput';

/** A step that passed its own checks, with the path its issues are named under (`body.steps.wait_cart`). */
export interface PlacedStep {
  step: JourneyStep;
  path: string;
}

export interface GraphInput {
  steps: PlacedStep[];
  /** Ids of every step given, also of those whose own shape was wrong (a next naming them is not unknown). */
  knownIds: ReadonlySet<string>;
  start: { id: string; path: string };
  /** Where an issue of the steps as a whole is named (`body.steps`). */
  stepsPath: string;
  /** False when some step could not be read or ids repeat: the graph as a whole is then not judged (yet): its edges are not all known. */
  whole: boolean;
}

export function graphIssues({ steps, knownIds, start, stepsPath, whole }: GraphInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const { step, path } of steps) {
    for (const { field, to } of nextSteps(step)) if (!knownIds.has(to)) issues.push({ path: `${path}.${field}`, message: `no step has the id ${to}` });
  }
  if (!knownIds.has(start.id)) issues.push({ path: start.path, message: `no step has the id ${start.id}` });
  if (!whole || !knownIds.has(start.id)) return issues;

  // A next naming no step leads nowhere (its issue is above); the rest of the graph is still judged.
  const byId = new Map(steps.map((s) => [s.step.id, s]));
  const edges = new Map(steps.map(({ step }) => [step.id, nextSteps(step).map((n) => n.to).filter((to) => byId.has(to))]));
  const dangling = new Set(steps.filter(({ step }) => nextSteps(step).some((n) => !byId.has(n.to))).map((s) => s.step.id));
  const reachable = walk([start.id], (id) => edges.get(id) ?? []);
  for (const { step, path } of steps) {
    if (!reachable.has(step.id)) issues.push({ path, message: `unreachable: no path from the entry step (${start.id}) leads to ${step.id}` });
  }

  const exits = steps.filter((s) => s.step.kind === 'exit').map((s) => s.step.id);
  if (exits.length === 0) {
    issues.push({ path: stepsPath, message: 'no exit step: every path must end at a step of kind exit' });
  } else {
    const into = new Map<string, string[]>();
    for (const [from, tos] of edges) for (const to of tos) into.set(to, [...(into.get(to) ?? []), from]);
    // A step with a dangling next may be meant to reach an exit through it: not told twice.
    const finishing = walk([...exits, ...dangling], (id) => into.get(id) ?? []);
    for (const { step, path } of steps) {
      if (reachable.has(step.id) && !finishing.has(step.id)) issues.push({ path, message: `no exit path: no path from ${step.id} reaches an exit step, so a profile there could never finish` });
    }
  }

  // A loop is safe when it passes a waiting step: look for loops among the other steps only.
  const moving = (id: string) => !WAITING_KINDS.includes(byId.get(id)!.step.kind);
  for (const loop of loops(steps.map((s) => s.step.id).filter(moving), (id) => (edges.get(id) ?? []).filter(moving))) {
    issues.push({ path: byId.get(loop[0]!)!.path, message: `cycle without a wait: ${loop.length === 1 ? `${loop[0]} leads to itself` : `steps ${loop.join(', ')} form a loop`} with no wait, waitUntil or waitForEvent step on it` });
  }
  return issues;
}

/** Every node reachable from `from` (included) along `next`. */
function walk(from: string[], next: (id: string) => string[]): Set<string> {
  const seen = new Set(from);
  const todo = [...from];
  while (todo.length > 0) {
    for (const to of next(todo.pop()!)) {
      if (!seen.has(to)) {
        seen.add(to);
        todo.push(to);
      }
    }
  }
  return seen;
}

/** The strongly connected groups that hold a loop (two or more nodes, or one leading to itself), each in `nodes` order (Tarjan). */
function loops(nodes: string[], next: (id: string) => string[]): string[][] {
  const order = new Map(nodes.map((n, i) => [n, i]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || next(v).includes(v)) found.push(group.sort((a, b) => order.get(a)! - order.get(b)!));
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return found.sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}
