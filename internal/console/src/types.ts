// Shapes of the API answers the console reads (what its queries select).
import type { Money } from "./format";

export interface CIRef {
  id: string;
  name: string;
  kind: string;
  status?: string;
  environment?: string;
  fqdn?: string | null;
}

export interface ImpactNode {
  depth: number;
  via: string;
  parentID: string;
  ci: CIRef & { drifts: { status: string }[] | null };
}

export interface ImpactCount {
  count: number;
  truncated: boolean;
}

export interface Impact {
  count: number;
  truncated: boolean;
  nodes: ImpactNode[];
}

export interface OwnerInfo {
  id: string;
  name: string;
  kind?: string;
  email: string | null;
  oncallContact: string | null;
  escalation: string | null;
  chatChannel: string | null;
}

export interface IncidentContext {
  matchedBy: string;
  matchRule: string;
  matchedValue: string;
  matchedScope: string | null;
  ambiguous: boolean;
  asOf: string;
  ci: CIRef & {
    criticality: string;
    hostname: string | null;
    description: string | null;
    identifiers: { kind: string; value: string; scope: string | null; source: string }[] | null;
  };
  alternatives: CIRef[];
  owner: OwnerInfo | null;
  team: OwnerInfo | null;
  services: {
    id: string;
    name: string;
    tier: number;
    sloTarget: number | null;
    rtoMinutes: number | null;
    rpoMinutes: number | null;
    runbookURL: string | null;
  }[];
  /** Counts only: the graph asks for its nodes itself, capped. */
  dependents: ImpactCount;
  dependencies: ImpactCount;
  vendor: { id: string; name: string; supportEmail: string | null; supportPhone: string | null } | null;
  supportContracts: {
    id: string;
    number: string;
    name: string | null;
    kind: string;
    endDate: string;
    slaResponseMinutes: number | null;
    supportContact: string | null;
    vendor: { name: string } | null;
  }[];
  warranty: { active: boolean; endDate: string | null; daysLeft: number | null } | null;
  bookValue: Money | null;
  openDrifts: {
    id: string;
    kind: string;
    status: string;
    field: string | null;
    recorded: string | null;
    observed: string | null;
    lastSeenAt: string;
    authorized: boolean;
  }[];
  recentChanges: {
    id: string;
    at: string;
    actor: string;
    action: string;
    changes: { field: string; before: unknown; after: unknown }[];
  }[];
}
