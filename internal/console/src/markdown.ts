import { date, money, webURL, words } from "./format";
import type { IncidentContext } from "./types";

/** Web addresses: left as written, so that chat tools make them links. */
const URL_RE = /https?:\/\/[^\s<>|`]+/gi;

/**
 * Escapes text for Markdown, as little as it can: chat tools (Slack,
 * Teams) show backslash escapes as written, so only what would format text
 * within a line (* _ ` [ ] < > | \ ~) is escaped; names, dots, dashes,
 * amounts and # stay as they are, and web addresses are left whole (an
 * escaped address is no longer a link). Line breaks become spaces. A value
 * is never put at the start of a line (each line of the summary starts
 * with "### " or "- **…:** "), so what would start a block there (# - + >
 * "1.") cannot.
 */
export function md(s: string | number | null | undefined): string {
  if (s === null || s === undefined || s === "") return "—";
  const text = String(s).replace(/\s*\n\s*/g, " ");
  let out = "";
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    out += inline(text.slice(last, m.index));
    out += m[0];
    last = m.index! + m[0].length;
  }
  return out + inline(text.slice(last));
}

function inline(t: string): string {
  return t.replace(/[\\`*_[\]<>|~]/g, (c) => "\\" + c);
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
    lines.push(`- **Service:** ${md(s.name)} (${bits.join(", ")})${s.runbookURL ? ` · runbook ${webURL(s.runbookURL) ? `<${webURL(s.runbookURL)}>` : md(s.runbookURL)}` : ""}`);
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
