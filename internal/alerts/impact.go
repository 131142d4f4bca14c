package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/cairn-cmdb/cairn/ent"
	"github.com/cairn-cmdb/cairn/internal/graphwalk"
	"github.com/cairn-cmdb/cairn/internal/store"
)

// impactedServices returns, per incident, the services its CIs hit: the
// services with one of the CIs as a member, and every service depending
// on one of those (service dependencies, transitively). Two statements
// for all the incidents: the memberships, then one recursive walk up the
// service dependencies from every service found.
func (s *Service) impactedServices(ctx context.Context, tx *ent.Client, cisOf map[int][]int) (map[int][]int, error) {
	out := map[int][]int{}
	var all []int
	seen := map[int]bool{}
	for _, cis := range cisOf {
		for _, c := range cis {
			if !seen[c] {
				seen[c] = true
				all = append(all, c)
			}
		}
	}
	if len(all) == 0 {
		return out, nil
	}
	sort.Ints(all)
	direct, roots, err := s.memberships(ctx, tx, all)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		return out, nil
	}
	up, err := s.dependentServices(ctx, tx, roots)
	if err != nil {
		return nil, err
	}
	for inc, cis := range cisOf {
		set := map[int]bool{}
		for _, c := range cis {
			for _, sv := range direct[c] {
				set[sv] = true
				for _, d := range up[sv] {
					set[d] = true
				}
			}
		}
		if len(set) > 0 {
			out[inc] = setInts(set)
		}
	}
	return out, nil
}

// dependentServices returns, for each root service, the services that
// depend on it directly or transitively, in one recursive statement.
// service_depends_on holds (service_id, dependent_id) for "service_id
// depends on dependent_id" (ent's column names for the depends_on edge).
func (s *Service) dependentServices(ctx context.Context, tx *ent.Client, roots []int) (map[int][]int, error) {
	seed, arg := `SELECT CAST(s.value AS BIGINT) AS id FROM json_each(?) s`, any(nil)
	if s.db.Backend() == store.Postgres {
		seed, arg = `SELECT CAST(s.id AS BIGINT) AS id FROM unnest(?::bigint[]) AS s(id)`, graphwalk.PGArray(roots)
	} else {
		b, _ := json.Marshal(roots)
		arg = string(b)
	}
	q := `WITH RECURSIVE roots(id) AS (` + seed + `),
up(root, id) AS (
	SELECT r.id, d.service_id FROM roots r JOIN service_depends_on d ON d.dependent_id = r.id
	UNION
	SELECT u.root, d.service_id FROM up u JOIN service_depends_on d ON d.dependent_id = u.id
)
SELECT root, id FROM up WHERE id <> root ORDER BY root, id`
	rows, err := tx.QueryContext(ctx, s.db.Rebind(q), arg)
	if err != nil {
		return nil, fmt.Errorf("walking service dependencies: %w", err)
	}
	defer rows.Close()
	out := map[int][]int{}
	for rows.Next() {
		var root, id int
		if err := rows.Scan(&root, &id); err != nil {
			return nil, fmt.Errorf("walking service dependencies: %w", err)
		}
		out[root] = append(out[root], id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("walking service dependencies: %w", err)
	}
	return out, nil
}

// memberships reads the services the CIs are members of (CI → services,
// and every service found), in one statement of constant text through
// the service_members_ci index.
func (s *Service) memberships(ctx context.Context, tx *ent.Client, cis []int) (map[int][]int, []int, error) {
	q, arg := `SELECT m.configuration_item_id, m.service_id FROM service_members m
WHERE m.configuration_item_id IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) ORDER BY m.service_id`, any(nil)
	if s.db.Backend() == store.Postgres {
		q, arg = `SELECT m.configuration_item_id, m.service_id FROM service_members m
WHERE m.configuration_item_id = ANY(?::bigint[]) ORDER BY m.service_id`, graphwalk.PGArray(cis)
	} else {
		b, _ := json.Marshal(cis)
		arg = string(b)
	}
	rows, err := tx.QueryContext(ctx, s.db.Rebind(q), arg)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the services of alerted CIs: %w", err)
	}
	defer rows.Close()
	direct := map[int][]int{}
	seen := map[int]bool{}
	var roots []int
	for rows.Next() {
		var ci, svc int
		if err := rows.Scan(&ci, &svc); err != nil {
			return nil, nil, fmt.Errorf("reading the services of alerted CIs: %w", err)
		}
		direct[ci] = append(direct[ci], svc)
		if !seen[svc] {
			seen[svc] = true
			roots = append(roots, svc)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading the services of alerted CIs: %w", err)
	}
	return direct, roots, nil
}
