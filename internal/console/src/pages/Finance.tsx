import { useTitle } from "../hooks";

// Placeholder until its page lands.
export function FinancePage() {
  useTitle("Finance");
  return (
    <div class="page">
      <h1>Finance</h1>
      <p>Not built yet.</p>
    </div>
  );
}
