import { useTitle } from "../hooks";

export function NotFound() {
  useTitle("Not found");
  return (
    <div class="page">
      <h1>No such page</h1>
      <p>
        Nothing lives at <code>{location.pathname}</code>. Search for what you were after with the box above, or go{" "}
        <a href="/">home</a>.
      </p>
    </div>
  );
}
