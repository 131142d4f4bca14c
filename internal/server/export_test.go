package server

import (
	"context"
	"fmt"
	"math"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/cairn-cmdb/cairn/graph/generated"
)

// QueryCost prices query as the cost check does, with s's latest measure of
// the estate and no limit.
func QueryCost(s *Server, query string, vars map[string]any) (int, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return 0, err
	}
	if errs := validator.Validate(generated.NewExecutableSchema(generated.Config{}).Schema(), doc); len(errs) > 0 {
		return 0, errs
	}
	cost, _, gerr := operationCost(context.Background(), doc.Operations[0], vars, s.costs.current(), math.MaxInt/8)
	if gerr != nil {
		return 0, fmt.Errorf("%s", gerr.Message)
	}
	return cost, nil
}
