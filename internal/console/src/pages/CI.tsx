import { useTitle } from "../hooks";

// Placeholder until its page lands.
export function CIPage() {
  useTitle("CI");
  return (
    <div class="page">
      <h1>CI</h1>
      <p>Not built yet.</p>
    </div>
  );
}
