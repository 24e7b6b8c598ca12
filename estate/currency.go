package estate

import "strings"

// currencyCodes are the ISO 4217 codes of the currencies in circulation
// (2025), without fund codes, precious metals and test codes, which no
// organisation keeps its accounts in. ANG stays alongside its successor
// XCG while both are seen in ledgers.
const currencyCodes = "" +
	"AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND " +
	"BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF " +
	"DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD " +
	"HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW " +
	"KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR " +
	"MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN " +
	"PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN " +
	"SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED " +
	"VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG"

// knownCurrency reports whether code is a current ISO 4217 code.
func knownCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	i := strings.Index(currencyCodes, code)
	return i >= 0 && i%4 == 0
}

// currencyList returns the codes, for spelling suggestions.
func currencyList() []string { return strings.Fields(currencyCodes) }

// CurrencySymbol is the sign written before an amount in the currency
// code, for the few currencies a reader knows by their sign; ok is false
// for the rest, which are written with their code. The command line and
// the web pages both write amounts with it.
func CurrencySymbol(code string) (sym string, ok bool) {
	switch code {
	case "GBP":
		return "£", true
	case "EUR":
		return "€", true
	case "USD":
		return "$", true
	case "JPY":
		return "¥", true
	case "INR":
		return "₹", true
	}
	return "", false
}
