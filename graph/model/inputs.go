// Package model holds GraphQL input types that extend the ones entgql
// generates: money arrives as decimal strings and is converted with the
// entity's currency before it is stored in minor units.
package model

import "github.com/cairn-cmdb/cairn/ent"

// CreateAssetInput is ent's input plus decimal money fields.
type CreateAssetInput struct {
	ent.CreateAssetInput
	Cost             *string
	SalvageValue     *string
	DisposalProceeds *string
}

// UpdateAssetInput is ent's input plus decimal money fields.
type UpdateAssetInput struct {
	ent.UpdateAssetInput
	Cost                  *string
	SalvageValue          *string
	DisposalProceeds      *string
	ClearDisposalProceeds *bool
}

// CreateContractInput is ent's input plus the decimal cost.
type CreateContractInput struct {
	ent.CreateContractInput
	Cost *string
}

// UpdateContractInput is ent's input plus the decimal cost.
type UpdateContractInput struct {
	ent.UpdateContractInput
	Cost *string
}
