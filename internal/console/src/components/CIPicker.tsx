// Choosing a CI by anything the search box takes (the lookup query): a
// text box, then the matching CIs as buttons; the chosen one is announced.
import { useEffect, useState } from "preact/hooks";
import { gql } from "../api";
import { useDebounced } from "../hooks";
import { Kind } from "./ui";
import LOOKUP from "../queries/lookup.graphql";

export interface PickedCI {
  id: string;
  name: string;
  kind: string;
}

interface Hit {
  type: string;
  ci: (PickedCI & { environment: string }) | null;
}

export function CIPicker(props: {
  id: string;
  label: string;
  value: PickedCI | null;
  onChange: (ci: PickedCI | null) => void;
  /** A CI not to offer (the page's own). */
  exclude?: string;
  invalid?: string;
  errorId?: string;
}) {
  const [text, setText] = useState("");
  const [hits, setHits] = useState<PickedCI[]>([]);
  const [failed, setFailed] = useState("");
  const [answered, setAnswered] = useState("");
  const q = useDebounced(text.trim(), 200);

  useEffect(() => {
    if (!q) {
      setHits([]);
      return;
    }
    const ctl = new AbortController();
    gql<{ lookup: Hit[] }>(LOOKUP, { query: q, first: 8 }, ctl.signal).then(
      (d) => {
        setHits(d.lookup.flatMap((h) => (h.ci && h.ci.id !== props.exclude ? [h.ci] : [])));
        setFailed("");
        setAnswered(q);
      },
      (e: Error) => {
        if (e.name !== "AbortError") setFailed(e.message);
      },
    );
    return () => ctl.abort();
  }, [q, props.exclude]);

  return (
    <div class="ci-picker">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="search"
        value={text}
        autoComplete="off"
        placeholder="name, host, IP, serial…"
        aria-invalid={props.invalid ? "true" : undefined}
        aria-describedby={props.invalid && props.errorId ? props.errorId : undefined}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") e.preventDefault();
        }}
      />
      {failed ? <p class="field-error">{failed}</p> : null}
      {hits.length ? (
        <ul class="ci-picks" aria-label={`CIs matching ${q}`}>
          {hits.map((h) => (
            <li key={h.id}>
              <button
                type="button"
                class="btn b-plain"
                aria-pressed={props.value?.id === h.id}
                onClick={() => {
                  props.onChange(h);
                  setText("");
                  setHits([]);
                }}
              >
                {h.name} <Kind kind={h.kind} />
              </button>
            </li>
          ))}
        </ul>
      ) : q && answered === q && !failed ? (
        <p class="muted small">No CI matches “{q}”.</p>
      ) : null}
      <p class="small" role="status" aria-live="polite">
        {props.value ? (
          <>
            Chosen: <strong>{props.value.name}</strong>{" "}
            <button type="button" class="btn b-plain ci-unpick" onClick={() => props.onChange(null)}>
              Clear<span class="sr-only"> the chosen CI</span>
            </button>
          </>
        ) : (
          <span class="muted">No CI chosen yet.</span>
        )}
      </p>
    </div>
  );
}
