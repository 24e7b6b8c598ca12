package estate

import "testing"

func TestCurrencySymbol(t *testing.T) {
	for code, want := range map[string]string{"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"} {
		if got, ok := CurrencySymbol(code); !ok || got != want {
			t.Errorf("CurrencySymbol(%q) = %q, %v; want %q", code, got, ok, want)
		}
		if !knownCurrency(code) {
			t.Errorf("%s has a symbol but is not a known currency", code)
		}
	}
	for _, code := range []string{"CHF", "", "gbp", "XYZ"} {
		if got, ok := CurrencySymbol(code); ok || got != "" {
			t.Errorf("CurrencySymbol(%q) = %q, %v; want none", code, got, ok)
		}
	}
}
