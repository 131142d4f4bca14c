import type { RefObject } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { gql } from "../api";
import { useDebounced } from "../hooks";
import { words } from "../format";
import LOOKUP from "../queries/lookup.graphql";

export interface LookupHit {
  type: "CONFIGURATION_ITEM" | "SERVICE";
  matchedBy: string;
  matchedValue: string;
  score: number;
  ci: { id: string; name: string; kind: string; environment: string; status: string } | null;
  service: { id: string; name: string; tier: number } | null;
}

export function hitHref(h: LookupHit): string {
  return h.ci ? `/ci/${h.ci.id}` : `/services/${h.service!.id}`;
}

/**
 * The search box on every page: ranked hits as you type (the lookup
 * query), arrows to move, Enter on a hit opens it, Enter on the text opens
 * the search page, which shows the one match or lists every alternative.
 */
export function SearchBox({ inputRef }: { inputRef: RefObject<HTMLInputElement | null> }) {
  const { route } = useLocation();
  const [text, setText] = useState("");
  const [hits, setHits] = useState<LookupHit[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [failed, setFailed] = useState("");
  const q = useDebounced(text.trim(), 120);
  const id = useId();

  useEffect(() => {
    if (!q) {
      setHits([]);
      return;
    }
    const ctl = new AbortController();
    gql<{ lookup: LookupHit[] }>(LOOKUP, { query: q, first: 8 }, ctl.signal).then(
      (d) => {
        setHits(d.lookup);
        setActive(-1);
        setFailed("");
      },
      (e: Error) => {
        if (e.name !== "AbortError") {
          setHits([]);
          setFailed(e.message);
        }
      },
    );
    return () => ctl.abort();
  }, [q]);

  const go = (href: string) => {
    setOpen(false);
    setActive(-1);
    route(href);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, hits.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, -1));
    } else if (e.key === "Escape") {
      setOpen(false);
      setActive(-1);
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (active >= 0 && hits[active]) go(hitHref(hits[active]));
      else if (text.trim()) go(`/search?q=${encodeURIComponent(text.trim())}`);
    }
  };
  const showList = open && text.trim() !== "" && (hits.length > 0 || failed !== "");

  return (
    <div class="search" role="search">
      <label for={`${id}-q`} class="sr-only">
        Search: host name, IP, MAC, serial, asset tag, cloud ID, CI or service name
      </label>
      <input
        id={`${id}-q`}
        ref={inputRef}
        type="search"
        autocomplete="off"
        spellcheck={false}
        placeholder="Host, IP, MAC, serial, asset tag, cloud ID…  ( / )"
        role="combobox"
        list={undefined}
        aria-autocomplete="list"
        aria-expanded={showList}
        aria-controls={`${id}-list`}
        aria-activedescendant={active >= 0 ? `${id}-o${active}` : undefined}
        value={text}
        onInput={(e) => {
          setText((e.target as HTMLInputElement).value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKey}
      />
      <ul id={`${id}-list`} role="listbox" class="hits" hidden={!showList} aria-label="Matches">
        {failed ? (
          <li class="hit-error" role="option" aria-selected={false}>
            {failed}
          </li>
        ) : null}
        {hits.map((h, i) => (
          <li
            key={`${h.type}-${h.ci?.id ?? h.service?.id}`}
            id={`${id}-o${i}`}
            role="option"
            aria-selected={i === active}
            class={i === active ? "active" : ""}
            onMouseDown={(e) => {
              e.preventDefault();
              go(hitHref(h));
            }}
          >
            <span class="hit-name">{h.ci?.name ?? h.service?.name}</span>
            <span class="hit-meta">
              {h.ci ? `${words(h.ci.kind)} · ${words(h.ci.environment)}` : `service · tier ${h.service?.tier}`}
              {" · "}
              {words(h.matchedBy)} {h.matchedValue}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
