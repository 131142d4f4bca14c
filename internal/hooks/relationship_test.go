package hooks

import (
	"errors"
	"testing"

	"github.com/cairn-cmdb/cairn/internal/apperr"
)

func TestCheckRelationshipEnds(t *testing.T) {
	tests := []struct {
		name     string
		from, to int
		wantErr  bool
	}{
		{"different CIs", 1, 2, false},
		{"same CI", 7, 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRelationshipEnds(tt.from, tt.to)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("CheckRelationshipEnds(%d, %d) = %v, want nil", tt.from, tt.to, err)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.BadUserInput || ae.Field != "to" {
				t.Fatalf("CheckRelationshipEnds(%d, %d) = %#v, want an invalid error on field to", tt.from, tt.to, err)
			}
		})
	}
}
