package discovery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-playground/validator/v10"
)

// Decode returns the configuration of source kind name read from raw (JSON;
// empty means all defaults) and validated. Unknown settings are errors, so a
// typo never silently falls back to a default. A confined registry then
// checks a Confined config's paths and programs (see Confinement).
func (r *Registry) Decode(name string, raw []byte) (Config, error) {
	k, ok := r.kinds[name]
	if !ok {
		return nil, &ConfigError{Kind: name, Err: fmt.Errorf("unknown source kind %q (known: %s)", name, strings.Join(r.Names(), ", "))}
	}
	cfg := k.NewConfig()
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cfg); err != nil {
			var ute *json.UnmarshalTypeError
			if errors.As(err, &ute) {
				return nil, &ConfigError{Kind: name, Field: ute.Field, Err: fmt.Errorf("want %s", ute.Type)}
			}
			return nil, &ConfigError{Kind: name, Err: err}
		}
	}
	if err := Validate(cfg); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, &ConfigError{Kind: name, Field: fe.field, Err: errors.New(fe.msg)}
		}
		return nil, &ConfigError{Kind: name, Err: err}
	}
	if r.confine != nil {
		if cc, ok := cfg.(Confined); ok {
			if err := cc.Confine(r.confine); err != nil {
				return nil, &ConfigError{Kind: name, Err: err}
			}
		}
	}
	return cfg, nil
}

// Check is what a job's save checks: that raw decodes, validates and builds
// (Build's checks, such as nmap-scan's targets, included) for kind name,
// and that the source can take the job's scope targets (see
// TargetChecker). A source is built and dropped: nothing runs.
func (r *Registry) Check(name string, raw []byte, targets []string) error {
	cfg, err := r.Decode(name, raw)
	if err != nil {
		return err
	}
	if _, err := cfg.Build(); err != nil {
		return &ConfigError{Kind: name, Err: err}
	}
	if len(targets) == 0 {
		return nil
	}
	if tc, ok := cfg.(TargetChecker); ok {
		if err := tc.CheckTargets(targets); err != nil {
			return &ConfigError{Kind: name, Field: "scope.targets", Err: err}
		}
		return nil
	}
	if _, err := ExpandTargets(targets, 0); err != nil {
		return &ConfigError{Kind: name, Field: "scope.targets", Err: err}
	}
	return nil
}

// TargetChecker is a Config whose source reads the job's scope targets
// (Env.Targets) in its own way: CheckTargets refuses targets it could not
// visit, so that a job is refused when it is saved and not only when it
// runs. Other sources' targets must expand (ExpandTargets).
type TargetChecker interface {
	CheckTargets(targets []string) error
}

// Build decodes, validates and builds the source of kind name.
func (r *Registry) Build(name string, raw []byte) (Source, error) {
	cfg, err := r.Decode(name, raw)
	if err != nil {
		return nil, err
	}
	src, err := cfg.Build()
	if err != nil {
		return nil, &ConfigError{Kind: name, Err: err}
	}
	return src, nil
}

// Validate checks v's `validate` struct tags and reports the first failure
// by its JSON name.
func Validate(v any) error {
	val := validator.New(validator.WithRequiredStructEnabled())
	val.RegisterTagNameFunc(jsonName)
	err := val.Struct(v)
	var ves validator.ValidationErrors
	if errors.As(err, &ves) && len(ves) > 0 {
		fe := ves[0]
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		return &fieldError{field: ns, msg: describe(fe)}
	}
	return err
}

type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func jsonName(f reflectField) string {
	name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
	if name == "-" {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min", "gte":
		return fmt.Sprintf("must be at least %s", fe.Param())
	case "max", "lte":
		return fmt.Sprintf("must be at most %s", fe.Param())
	case "gt":
		if fe.Param() == "0" {
			return "must be positive"
		}
		return fmt.Sprintf("must be greater than %s", fe.Param())
	case "oneof":
		return fmt.Sprintf("must be one of %s", fe.Param())
	}
	if fe.Param() != "" {
		return fmt.Sprintf("fails %s=%s (got %v)", fe.Tag(), fe.Param(), fe.Value())
	}
	return fmt.Sprintf("fails %s (got %v)", fe.Tag(), fe.Value())
}
