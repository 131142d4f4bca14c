import { useTitle } from "../hooks";

// Placeholder until its page lands.
export function ListPage() {
  useTitle("List");
  return (
    <div class="page">
      <h1>List</h1>
      <p>Not built yet.</p>
    </div>
  );
}
