import { useTitle } from "../hooks";

// Placeholder until its page lands.
export function HealthPage() {
  useTitle("Health");
  return (
    <div class="page">
      <h1>Health</h1>
      <p>Not built yet.</p>
    </div>
  );
}
