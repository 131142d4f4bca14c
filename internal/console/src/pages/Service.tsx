import { useTitle } from "../hooks";

// Placeholder until its page lands.
export function ServicePage() {
  useTitle("Service");
  return (
    <div class="page">
      <h1>Service</h1>
      <p>Not built yet.</p>
    </div>
  );
}
