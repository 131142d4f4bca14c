// The dependency graph, drawn with Cytoscape.js (dagre layout for graphs a
// person reads node by node, breadthfirst beyond that). This module and its
// libraries load only when a page draws a graph.
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import dagre from "cytoscape-dagre";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { useLocation } from "preact-iso";
import type { CIRef, Impact } from "../types";

cytoscape.use(dagre);

/** Most nodes drawn one by one; the rest are grouped per depth. */
export const MAX_DRAWN = 400;
/** Above this, the layered (dagre) layout costs more than it helps. */
const DAGRE_MAX = 150;
/** The closest a fitted layout is drawn. */
const FIT_MAX_ZOOM = 1.5;

export interface GraphProps {
  root: CIRef;
  dependents?: Impact;
  dependencies?: Impact;
  /** Pre-built elements (a service map); used instead of the impacts. */
  elements?: GraphElements;
  height?: number;
  /** What the picture shows, for screen readers [the dependency graph of root]. */
  label?: string;
}

export interface GraphNode {
  id: string;
  label: string;
  kind: string;
  drift?: boolean;
  root?: boolean;
  service?: boolean;
  group?: boolean;
  /** An incident's graph: the CI alerted. */
  alerted?: boolean;
  /** An incident's graph: a probable cause; top is the best one. */
  candidate?: boolean;
  top?: boolean;
  /** Where a click goes; none for groups. */
  href?: string;
}

export interface GraphElements {
  nodes: GraphNode[];
  edges: { from: string; to: string; type: string }[];
  /** Said above the graph when nodes were grouped or left out. */
  note?: string;
}

const palette: Record<string, string> = {
  SERVER: "#2f6fd6",
  VM: "#1f8f8a",
  CONTAINER: "#7a58c2",
  DATABASE: "#c2571a",
  APPLICATION: "#2e8540",
  NETWORK_DEVICE: "#8a6d00",
  LOAD_BALANCER: "#b0307a",
  STORAGE: "#5b6b7a",
  CLOUD_RESOURCE: "#0b7fab",
  CLUSTER: "#9a4c2f",
  SERVICE: "#444f9e",
  GROUP: "#888888",
};

const ALERTED = "#d1242f";
const CANDIDATE = "#bf8700";

/** A node's drawn label: marks in words' stead for what colour also says. */
function nodeLabel(n: GraphNode): string {
  return (n.top ? "★ " : n.candidate ? "☆ " : "") + (n.alerted ? "! " : "") + (n.drift ? "⚠ " : "") + n.label;
}

export function kindColour(kind: string): string {
  return palette[kind] ?? "#666666";
}

/** Builds graph elements from the two walks of a CI, capped at MAX_DRAWN. */
export function impactElements(root: CIRef, dependents?: Impact, dependencies?: Impact): GraphElements {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphElements["edges"] = [];
  nodes.set(root.id, { id: root.id, label: root.name, kind: root.kind, root: true, href: `/ci/${root.id}` });
  const notes: string[] = [];
  const add = (impact: Impact | undefined, dir: "dependents" | "dependencies") => {
    if (!impact) return;
    const sorted = [...impact.nodes].sort((a, b) => a.depth - b.depth);
    const budget = Math.max(0, Math.floor(MAX_DRAWN / (dependents && dependencies ? 2 : 1)));
    const drawn = sorted.slice(0, budget);
    const left = sorted.slice(budget);
    for (const n of drawn) {
      if (!nodes.has(n.ci.id)) {
        nodes.set(n.ci.id, {
          id: n.ci.id,
          label: n.ci.name,
          kind: n.ci.kind,
          drift: !!n.ci.drifts?.some((d) => d.status === "OPEN" || d.status === "ACKNOWLEDGED"),
          href: `/ci/${n.ci.id}`,
        });
      }
      // A dependent depends on its parent; a dependency is depended on.
      if (dir === "dependents") edges.push({ from: n.ci.id, to: n.parentID, type: n.via });
      else edges.push({ from: n.parentID, to: n.ci.id, type: n.via });
    }
    if (left.length) {
      const byDepth = new Map<number, number>();
      for (const n of left) byDepth.set(n.depth, (byDepth.get(n.depth) ?? 0) + 1);
      for (const [depth, count] of byDepth) {
        const gid = `group-${dir}-${depth}`;
        nodes.set(gid, { id: gid, label: `${count} more at depth ${depth}`, kind: "GROUP", group: true });
        // Attach the group to the root's side so the reader sees where it belongs.
        if (dir === "dependents") edges.push({ from: gid, to: root.id, type: "GROUPED" });
        else edges.push({ from: root.id, to: gid, type: "GROUPED" });
      }
      notes.push(`${left.length} of ${impact.nodes.length} ${dir} are grouped by depth: narrow the depth or relationship types to see them one by one`);
    }
    if (impact.truncated) notes.push(`Cairn stopped the ${dir} walk at its cap of ${impact.count}`);
  };
  add(dependents, "dependents");
  add(dependencies, "dependencies");
  // Edges only between drawn nodes.
  const kept = edges.filter((e) => nodes.has(e.from) && nodes.has(e.to));
  return { nodes: [...nodes.values()], edges: kept, note: notes.length ? notes.join(". ") + "." : undefined };
}

export function DepGraph(props: GraphProps) {
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const { route } = useLocation();
  // Built again whenever the graph's data changes (another CI, new walks),
  // never kept from a first render.
  const elements = useMemo<GraphElements>(
    () => props.elements ?? impactElements(props.root, props.dependents, props.dependencies),
    [props.elements, props.root.id, props.root.name, props.dependents, props.dependencies],
  );

  useEffect(() => {
    if (!box.current) return;
    const fg = getComputedStyle(document.documentElement).getPropertyValue("--fg").trim() || "#1b1f24";
    const defs: ElementDefinition[] = [
      ...elements.nodes.map((n) => ({
        data: { id: n.id, name: n.label, label: nodeLabel(n), colour: kindColour(n.kind), href: n.href ?? "" },
        classes: [
          n.root ? "root" : "",
          n.drift ? "drift" : "",
          n.group ? "group" : "",
          n.service ? "service" : "",
          n.alerted ? "alerted" : "",
          n.candidate ? "candidate" : "",
          n.top ? "top" : "",
        ]
          .join(" ")
          .trim(),
      })),
      ...elements.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.from, target: e.to, type: e.type } })),
    ];
    const big = elements.nodes.length > DAGRE_MAX;
    const c = cytoscape({
      container: box.current,
      elements: defs,
      minZoom: 0.1,
      maxZoom: 3,
      pixelRatio: big ? 1 : "auto",
      textureOnViewport: big,
      hideEdgesOnViewport: big,
      style: [
        {
          selector: "node",
          style: {
            "background-color": "data(colour)",
            label: "data(label)",
            color: fg,
            "font-size": 11,
            "text-valign": "bottom",
            "text-margin-y": 4,
            width: 18,
            height: 18,
            "min-zoomed-font-size": 7,
          },
        },
        { selector: "node.root", style: { width: 28, height: 28, "border-width": 3, "border-color": fg, "font-weight": "bold" } },
        { selector: "node.drift", style: { "border-width": 3, "border-color": "#d1242f", "border-style": "double" } },
        { selector: "node.group", style: { shape: "round-rectangle", width: 60, height: 18, "background-opacity": 0.4 } },
        { selector: "node.service", style: { shape: "round-rectangle", width: 36 } },
        // An incident's graph: alerted CIs ringed red, candidates ringed
        // amber (dashed), the top candidate large with a glow behind it.
        { selector: "node.alerted", style: { "border-width": 3, "border-color": ALERTED, "border-style": "solid" } },
        { selector: "node.candidate", style: { "border-width": 3, "border-color": CANDIDATE, "border-style": "dashed" } },
        { selector: "node.alerted.candidate", style: { "border-style": "double", "border-width": 4 } },
        {
          selector: "node.top",
          style: {
            width: 34,
            height: 34,
            "border-width": 4,
            "border-style": "solid",
            "border-color": CANDIDATE,
            "underlay-color": CANDIDATE,
            "underlay-opacity": 0.35,
            "underlay-padding": 8,
            "underlay-shape": "ellipse",
            "font-weight": "bold",
            "z-index": 10,
          } as cytoscape.Css.Node,
        },
        {
          selector: "edge",
          style: {
            width: 1.5,
            "line-color": "#8c959f",
            "target-arrow-color": "#8c959f",
            "target-arrow-shape": "triangle",
            "curve-style": big ? "haystack" : "bezier",
            "arrow-scale": 0.8,
          },
        },
      ],
      layout: { name: "preset" },
    });
    // The layout runs once the listener is on, so data-drawn (which tests
    // and benchmarks wait for) means laid out.
    const layout = c.layout(
      big
        ? { name: "breadthfirst", directed: true, spacingFactor: 0.9, animate: false }
        : ({ name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 110, animate: false } as cytoscape.LayoutOptions),
    );
    layout.one("layoutstop", () => {
      // A handful of nodes fitted to the box would be drawn huge: no closer than 1.5.
      if (c.zoom() > FIT_MAX_ZOOM) {
        c.zoom(FIT_MAX_ZOOM);
        c.center();
      }
      if (box.current) box.current.dataset.drawn = String(elements.nodes.length);
    });
    layout.run();
    c.on("tap", "node", (ev) => {
      const href = ev.target.data("href") as string;
      if (href) route(href);
    });
    c.on("mouseover", "node", (ev) => {
      if (ev.target.data("href")) box.current!.style.cursor = "pointer";
    });
    c.on("mouseout", "node", () => {
      box.current!.style.cursor = "";
    });
    cy.current = c;
    // Tests and benchmarks find the instance on its element, to click a
    // node where it is drawn.
    (box.current as HTMLDivElement & { cy?: Core }).cy = c;
    return () => {
      c.destroy();
      cy.current = null;
    };
  }, [elements]);

  const kinds = [...new Set(elements.nodes.map((n) => n.kind))].sort();
  return (
    <div class="graph">
      {elements.note ? (
        <p class="notice" role="status">
          {elements.note}
        </p>
      ) : null}
      <div
        ref={box}
        class="graph-canvas"
        style={{ height: `${props.height ?? 420}px` }}
        role="img"
        aria-label={`${props.label ?? `Dependency graph of ${props.root.name}`}: ${elements.nodes.length} nodes, ${elements.edges.length} links. The same CIs are listed as links on this page.`}
      />
      <ul class="legend" aria-label="Legend">
        {kinds.map((k) => (
          <li key={k}>
            <span class="swatch" style={{ background: kindColour(k) }} aria-hidden="true" /> {k.toLowerCase().replaceAll("_", " ")}
          </li>
        ))}
        {elements.nodes.some((n) => n.top) ? (
          <li>
            <span class="swatch top" aria-hidden="true" /> ★ top candidate
          </li>
        ) : null}
        {elements.nodes.some((n) => n.candidate && !n.top) ? (
          <li>
            <span class="swatch candidate" aria-hidden="true" /> ☆ other candidate
          </li>
        ) : null}
        {elements.nodes.some((n) => n.alerted) ? (
          <li>
            <span class="swatch alerted" aria-hidden="true" /> ! alerted
          </li>
        ) : null}
        <li>
          <span class="swatch drift" aria-hidden="true" /> ⚠ open drift
        </li>
      </ul>
    </div>
  );
}
