import { useTitle } from "../hooks";

// Placeholder until its page lands.
export function DriftPage() {
  useTitle("Drifts");
  return (
    <div class="page">
      <h1>Drifts</h1>
      <p>Not built yet.</p>
    </div>
  );
}
