package server_test

import (
	"testing"

	"github.com/cairn-cmdb/cairn/internal/server/servertest"
	"github.com/cairn-cmdb/cairn/internal/store/storetest"
)

const assetFields = `id currency cost { amount currency } salvageValue { amount currency } disposalProceeds { amount currency }`

func TestMoney(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dsn string) {
		env := servertest.Start(t, dsn, servertest.Options{})
		newCI := func(name string) string {
			return str(t, data(t, env.Do(t, env.Editor, `mutation($n: String!) { createConfigurationItem(input: {name: $n, kind: SERVER}) { id } }`,
				map[string]any{"n": name})), "createConfigurationItem.id")
		}
		createAsset := func(ci, fields string) servertest.Response {
			return env.Do(t, env.Editor, `mutation($ci: ID!) { createAsset(input: {configurationItemID: $ci`+fields+`}) { `+assetFields+` } }`,
				map[string]any{"ci": ci})
		}

		t.Run("decimal strings in, Money out", func(t *testing.T) {
			got := data(t, createAsset(newCI("m1"), `, cost: "1999.99", salvageValue: "100", currency: "usd"`))
			a := get(t, got, "createAsset").(map[string]any)
			if jsonOf(a["cost"]) != `{"amount":"1999.99","currency":"USD"}` || jsonOf(a["salvageValue"]) != `{"amount":"100.00","currency":"USD"}` ||
				a["currency"] != "USD" || a["disposalProceeds"] != nil {
				t.Errorf("asset = %s", jsonOf(a))
			}
			goldenJSON(t, "money_asset_usd", got)
			// Stored as integer minor units.
			id := str(t, got, "createAsset.id")
			ev := data(t, env.Do(t, env.Viewer, `query($id: ID!) { auditEvents(where: {entityType: "Asset", entityID: $id}) { edges { node { changes { field after } } } } }`, map[string]any{"id": id}))
			if c := findChange(t, ev, "cost_minor"); c == nil || c["after"] != float64(199999) {
				t.Errorf("audited cost_minor = %v, want 199999", c)
			}
		})

		for _, c := range []struct{ name, fields, cost, salvage, cur string }{
			{"JPY has no decimals", `, cost: "150000", salvageValue: "5000", currency: "JPY"`, "150000", "5000", "JPY"},
			{"JPY accepts zero decimals", `, cost: "1500.00", currency: "jpy"`, "1500", "0", "JPY"},
			{"BHD has three", `, cost: "12.345", salvageValue: "0.005", currency: "BHD"`, "12.345", "0.005", "BHD"},
			{"EUR by default", `, cost: " 12.5 "`, "12.50", "0.00", "EUR"},
			{"leading plus and zeros", `, cost: "+0012.30", currency: "EUR"`, "12.30", "0.00", "EUR"},
			{"no cost", ``, "0.00", "0.00", "EUR"},
		} {
			t.Run(c.name, func(t *testing.T) {
				got := data(t, createAsset(newCI("m-"+c.name), c.fields))
				if a, s, cur := str(t, got, "createAsset.cost.amount"), str(t, got, "createAsset.salvageValue.amount"), str(t, got, "createAsset.cost.currency"); a != c.cost || s != c.salvage || cur != c.cur {
					t.Errorf("cost %s salvage %s %s, want %s %s %s", a, s, cur, c.cost, c.salvage, c.cur)
				}
			})
		}

		t.Run("refused amounts", func(t *testing.T) {
			ci := newCI("m-refused")
			for _, c := range []struct{ fields, field, msg string }{
				{`, cost: "1500.5", currency: "JPY"`, "cost", `amount "1500.5" has more decimals than JPY allows (0)`},
				{`, cost: "1e3"`, "cost", `invalid amount "1e3"`},
				{`, cost: "12."`, "cost", `invalid amount "12."`},
				{`, cost: ""`, "cost", `invalid amount ""`},
				{`, cost: "99999999999999999999"`, "cost", "out of range"},
				{`, salvageValue: "-1"`, "salvageValue", "must not be negative"},
				{`, disposalProceeds: "-1"`, "disposalProceeds", "must not be negative"},
				{`, cost: "10", currency: "EURO"`, "currency", `unknown currency "EURO"`},
			} {
				mustNotWrite(t, env, func() {
					wantErr(t, createAsset(ci, c.fields), "BAD_USER_INPUT", c.field, c.msg)
				})
			}
		})

		t.Run("changing currency", func(t *testing.T) {
			asset := str(t, data(t, createAsset(newCI("m-cur"), `, cost: "12.50", currency: "EUR"`)), "createAsset.id")
			upd := func(fields string) servertest.Response {
				return env.Do(t, env.Editor, `mutation($id: ID!) { updateAsset(id: $id, input: {`+fields+`}) { `+assetFields+` } }`, map[string]any{"id": asset})
			}
			mustNotWrite(t, env, func() {
				wantErr(t, upd(`currency: "JPY"`), "BAD_USER_INPUT", "currency",
					"the stored cost 12.50 cannot be expressed in JPY: give cost in the same update")
			})
			got := data(t, upd(`currency: "JPY", cost: "1900"`))
			if jsonOf(get(t, got, "updateAsset.cost")) != `{"amount":"1900","currency":"JPY"}` || jsonOf(get(t, got, "updateAsset.salvageValue")) != `{"amount":"0","currency":"JPY"}` {
				t.Errorf("after switching to JPY: %s", jsonOf(got))
			}
			// Whole amounts carry over to a currency with decimals.
			got = data(t, upd(`currency: "USD"`))
			if jsonOf(get(t, got, "updateAsset.cost")) != `{"amount":"1900.00","currency":"USD"}` {
				t.Errorf("after switching to USD: %s", jsonOf(got))
			}
			got = data(t, upd(`disposalProceeds: "10.10"`))
			if jsonOf(get(t, got, "updateAsset.disposalProceeds")) != `{"amount":"10.10","currency":"USD"}` {
				t.Errorf("disposal proceeds: %s", jsonOf(got))
			}
			mustNotWrite(t, env, func() {
				wantErr(t, upd(`currency: "JPY", cost: "2000"`), "BAD_USER_INPUT", "currency",
					"the stored disposalProceeds 10.10 cannot be expressed in JPY")
				wantErr(t, upd(`disposalProceeds: "1", clearDisposalProceeds: true`), "BAD_USER_INPUT", "clearDisposalProceeds",
					"give either disposalProceeds or clearDisposalProceeds, not both")
			})
			got = data(t, upd(`clearDisposalProceeds: true`))
			if get(t, got, "updateAsset.disposalProceeds") != nil {
				t.Errorf("disposal proceeds not cleared: %s", jsonOf(got))
			}
		})

		t.Run("contract cost", func(t *testing.T) {
			got := data(t, env.Do(t, env.Editor, `mutation { createContract(input: {number: "C-m", kind: LICENSE, startDate: "2024-01-01T00:00:00Z",
				endDate: "2025-01-01T00:00:00Z", cost: "12000", currency: "chf"}) { id currency cost { amount currency } } }`, nil))
			if jsonOf(get(t, got, "createContract.cost")) != `{"amount":"12000.00","currency":"CHF"}` {
				t.Errorf("contract: %s", jsonOf(got))
			}
			id := str(t, got, "createContract.id")
			mustNotWrite(t, env, func() {
				wantErr(t, env.Do(t, env.Editor, `mutation($id: ID!) { updateContract(id: $id, input: {cost: "0.001"}) { id } }`, map[string]any{"id": id}),
					"BAD_USER_INPUT", "cost", "has more decimals than CHF allows (2)")
			})
			got = data(t, env.Do(t, env.Editor, `mutation($id: ID!) { updateContract(id: $id, input: {currency: "KWD"}) { cost { amount currency } } }`, map[string]any{"id": id}))
			if jsonOf(get(t, got, "updateContract.cost")) != `{"amount":"12000.000","currency":"KWD"}` {
				t.Errorf("contract in KWD: %s", jsonOf(got))
			}
		})
	})
}
