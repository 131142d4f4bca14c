import { date, money, words } from "./format";
import type { IncidentContext } from "./types";

/** Escapes text for Markdown: characters that would format, link or break a line. */
export function md(s: string | number | null | undefined): string {
  if (s === null || s === undefined || s === "") return "—";
  return String(s)
    .replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => "\\" + c)
    .replace(/\s*\n\s*/g, " ");
}

/** The incident summary to paste into the incident channel. */
export function incidentMarkdown(ic: IncidentContext, pageURL: string): string {
  const lines: string[] = [];
  const ci = ic.ci;
  lines.push(`### ${md(ci.name)} (${md(words(ci.kind))}, ${md(words(ci.environment))}, ${md(words(ci.criticality))} criticality)`);
  lines.push("");
  if (ic.owner) {
    const o = ic.owner;
    lines.push(`- **Owner:** ${md(o.name)}${o.oncallContact ? ` · on call ${md(o.oncallContact)}` : ""}${o.escalation ? ` · escalation ${md(o.escalation)}` : ""}${o.chatChannel ? ` · ${md(o.chatChannel)}` : ""}`);
  } else {
    lines.push("- **Owner:** none recorded");
  }
  if (ic.team) {
    const t = ic.team;
    lines.push(`- **Team:** ${md(t.name)}${t.oncallContact ? ` · on call ${md(t.oncallContact)}` : ""}${t.escalation ? ` · escalation ${md(t.escalation)}` : ""}`);
  }
  for (const s of ic.services) {
    const bits = [`tier ${s.tier}`];
    if (s.sloTarget !== null) bits.push(`SLO ${s.sloTarget}%`);
    if (s.rtoMinutes !== null) bits.push(`RTO ${s.rtoMinutes} min`);
    if (s.rpoMinutes !== null) bits.push(`RPO ${s.rpoMinutes} min`);
    lines.push(`- **Service:** ${md(s.name)} (${bits.join(", ")})${s.runbookURL ? ` · runbook <${s.runbookURL.replace(/[<>\s]/g, "")}>` : ""}`);
  }
  lines.push(`- **Blast radius:** ${ic.dependents.count}${ic.dependents.truncated ? "+" : ""} dependents, ${ic.dependencies.count}${ic.dependencies.truncated ? "+" : ""} dependencies`);
  for (const c of ic.supportContracts) {
    lines.push(`- **Support:** ${md(c.vendor?.name ?? "")} ${md(words(c.kind))} ${md(c.number)}${c.slaResponseMinutes !== null ? `, SLA ${c.slaResponseMinutes} min` : ""}${c.supportContact ? `, ${md(c.supportContact)}` : ""}, until ${date(c.endDate)}`);
  }
  if (ic.warranty) lines.push(`- **Warranty:** ${ic.warranty.active ? "active" : "ended"}, ends ${date(ic.warranty.endDate)}`);
  if (ic.bookValue) lines.push(`- **Book value:** ${md(money(ic.bookValue))}`);
  if (ic.openDrifts.length) lines.push(`- **Open drifts:** ${ic.openDrifts.map((d) => md(words(d.kind) + (d.field ? ` ${d.field}` : ""))).join(", ")}`);
  lines.push(`- **Cairn:** <${pageURL}>`);
  return lines.join("\n") + "\n";
}
