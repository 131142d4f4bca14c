import type { GraphElements } from "./DepGraph";
import { Empty, Kind } from "./ui";
import { plural } from "../format";

/**
 * A drawn graph's nodes as links, for keyboards and screen readers: what
 * the picture marks (drift, alerted, candidate) is said in words here.
 * Imports only DepGraph's types, so it costs no graph library.
 */
export function NodeList({ elements, empty = "Nothing is linked to it (with these filters).", title }: { elements: GraphElements; empty?: string; title?: string }) {
  const nodes = elements.nodes.filter((n) => !n.root);
  if (!nodes.length) return <Empty>{empty}</Empty>;
  return (
    <details class="card node-list" open={nodes.length <= 30}>
      <summary>{title ?? `${plural(nodes.length, "node")} in the graph, as a list`}</summary>
      <ul class="rows columns">
        {nodes.map((n) => (
          <li key={n.id} data-node={n.id}>
            {n.href ? <a href={n.href}>{n.label}</a> : <span>{n.label}</span>} {n.service ? <span class="badge">service</span> : <Kind kind={n.kind === "GROUP" ? null : n.kind} />}
            {n.top ? <span class="badge t-warn">top candidate</span> : n.candidate ? <span class="badge t-warn">candidate</span> : null}
            {n.alerted ? <span class="badge t-bad">alerted</span> : null}
            {n.drift ? <span class="badge t-bad">drift</span> : null}
          </li>
        ))}
      </ul>
    </details>
  );
}
