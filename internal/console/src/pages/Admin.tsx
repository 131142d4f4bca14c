import { useTitle } from "../hooks";

// Placeholder until its page lands.
export function AdminPage() {
  useTitle("Admin");
  return (
    <div class="page">
      <h1>Admin</h1>
      <p>Not built yet.</p>
    </div>
  );
}
