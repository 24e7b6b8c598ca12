package incident

import (
	"strconv"
	"strings"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// ChecklistDef is one item of a clearance checklist as a template defines
// it. Key is stable: ticks are stored against it.
type ChecklistDef struct {
	Key  string `json:"key"`
	Text string `json:"text"`
}

// ChecklistItem is one item of a system's checklist in an incident, with
// its last tick (or untick).
type ChecklistItem struct {
	Key  string `json:"key"`
	Text string `json:"text"`
	// Source is "template" (from the system's kind) or "estate" (the
	// system's own checklist: entries).
	Source   string    `json:"source"`
	Done     bool      `json:"done"`
	By       string    `json:"by,omitempty"`
	At       time.Time `json:"at,omitzero"`
	Note     string    `json:"note,omitempty"`
	Evidence string    `json:"evidence,omitempty"`
}

// Tick ticks (Done) or unticks one checklist item.
type Tick struct {
	Item     string `json:"item"`
	Done     bool   `json:"done"`
	Note     string `json:"note,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// Items every server-like system needs before it may come back: the
// evidence is preserved, the attacker's tools are gone, the system is
// trustworthy again, the keys the attacker may hold are changed, and the
// defenders can see it.
var (
	itemForensicImage = ChecklistDef{"forensic-image", "Forensic image (disk and memory) taken, hashed and logged as evidence"}
	itemIOCSweep      = ChecklistDef{"ioc-sweep", "IOC sweep clean (current indicators, YARA rules, persistence locations)"}
	itemKnownGood     = ChecklistDef{"known-good-rebuild", "Rebuilt from a known-good image, or restored from a backup verified clean"}
	itemCredentials   = ChecklistDef{"credentials-rotated", "Privileged, service-account and local administrator credentials rotated"}
	itemEDR           = ChecklistDef{"edr-reporting", "EDR agent present, in blocking mode and reporting to the console"}
	itemPatched       = ChecklistDef{"access-vector-closed", "Initial-access vector patched or mitigated on this system"}
)

// ChecklistTemplates is the clearance checklist for each kind of system:
// what a DFIR team asks before it lets a system of that kind back.
var ChecklistTemplates = map[estate.Kind][]ChecklistDef{
	estate.KindIdentity: {
		itemForensicImage, itemIOCSweep, itemKnownGood,
		{"krbtgt-reset-twice", "Kerberos ticket-granting key (krbtgt) reset twice, replication confirmed between the resets"},
		{"privileged-groups-reviewed", "Privileged groups (Domain/Enterprise Admins, Schema Admins, admin-equivalent) reviewed; unknown members removed"},
		{"gpo-tasks-reviewed", "Group Policy Objects, logon scripts and scheduled tasks reviewed for attacker changes"},
		{"helpdesk-reset-verified", "Help-desk credential and MFA resets require out-of-band identity verification"},
		itemCredentials, itemEDR,
	},
	estate.KindNetwork: {
		{"config-known-good", "Device configuration compared with the last known-good; firmware image hash verified"},
		{"device-admin-rotated", "Device admin, SNMP, TACACS/RADIUS and VPN shared secrets rotated"},
		{"remote-access-reviewed", "VPN and remote-access accounts reviewed; MFA enforced; unused accounts disabled"},
		{"egress-blocked", "Egress to attacker infrastructure (known C2, exfiltration destinations) blocked"},
		{"segmentation-verified", "Segmentation and firewall rules verified against the recovery design"},
		itemPatched,
	},
	estate.KindInfrastructure: {
		itemForensicImage, itemIOCSweep, itemKnownGood,
		{"management-plane-isolated", "Management interfaces (hypervisor, BMC/iLO, storage) on an isolated admin network"},
		{"backups-immutable", "Backup repository integrity verified; immutability or offline copies enabled"},
		itemCredentials, itemEDR, itemPatched,
	},
	estate.KindSecurity: {
		itemIOCSweep, itemKnownGood,
		{"console-creds-rotated", "Security console and API credentials rotated; MFA enforced"},
		{"policies-not-weakened", "Policies verified not weakened: exclusions, tamper protection, disabled rules"},
		{"logging-restored", "Log collection restored and covering the recovered estate"},
		itemEDR,
	},
	estate.KindData: {
		itemForensicImage, itemIOCSweep,
		{"backup-verified-clean", "Restored from a backup verified clean (scanned, from before the intrusion)"},
		{"data-integrity-checked", "Data integrity checked: no encryption, tampering or missing ranges"},
		{"exfiltration-assessed", "Exfiltration of this data assessed and recorded for notification"},
		itemCredentials, itemEDR,
	},
	estate.KindApplication: {
		itemForensicImage, itemIOCSweep, itemKnownGood,
		{"app-secrets-rotated", "Application secrets, API keys and database credentials rotated"},
		{"release-integrity-verified", "Binaries and configuration verified against the release (hashes, signatures)"},
		itemCredentials, itemEDR, itemPatched,
	},
	estate.KindSaaS: {
		{"oauth-apps-revoked", "OAuth tokens and connected apps reviewed and revoked"},
		{"sessions-revoked", "All active sessions revoked; administrators' MFA re-enrolled"},
		{"admin-accounts-reviewed", "Administrator accounts and API keys reviewed; unknown ones removed, the rest rotated"},
		{"provider-audit-reviewed", "Provider audit log reviewed for the intrusion window"},
		{"sso-federation-verified", "SSO / federation trust verified (no added identity providers or certificates)"},
	},
	estate.KindOT: {
		{"controller-logic-verified", "PLC/controller logic and firmware compared against the known-good baseline"},
		{"engineering-workstations-rebuilt", "Engineering workstations and HMIs rebuilt from known-good images"},
		{"it-ot-boundary-verified", "IT/OT boundary (DMZ, firewalls, data diodes) rules verified"},
		{"vendor-remote-access-controlled", "Vendor remote access disabled or brokered and recorded"},
		{"safety-systems-tested", "Safety instrumented systems tested before production restarts"},
		itemCredentials,
	},
	estate.KindEndpoint: {
		{"reimaged", "Reimaged from the golden image"},
		{"local-admin-rotated", "Local administrator passwords rotated (LAPS or equivalent)"},
		{"user-credentials-reset", "Users of the device reset their passwords and MFA"},
		itemEDR,
	},
	estate.KindOther: {
		itemForensicImage, itemIOCSweep, itemKnownGood, itemCredentials, itemEDR,
	},
}

// ChecklistFor returns the checklist of a system: the template of its
// kind followed by the system's own checklist entries. An entry's key is
// "estate-" plus the key the estate gives it, or else plus a slug of its
// text, so it stays stable while the text does; template keys never begin
// with "estate-", so the two never meet. Given keys are taken first: a
// slug that meets one gets -2, -3….
func ChecklistFor(sys *estate.System) []ChecklistDef {
	tmpl, ok := ChecklistTemplates[sys.Kind]
	if !ok {
		tmpl = ChecklistTemplates[estate.KindOther]
	}
	out := append([]ChecklistDef(nil), tmpl...)
	seen := map[string]bool{}
	for _, d := range out {
		seen[d.Key] = true
	}
	for _, e := range sys.Checklist {
		if e.Key != "" {
			seen[EstateKeyPrefix+e.Key] = true
		}
	}
	for _, e := range sys.Checklist {
		text := strings.TrimSpace(e.Text)
		if text == "" {
			continue
		}
		if e.Key != "" {
			out = append(out, ChecklistDef{Key: EstateKeyPrefix + e.Key, Text: text})
			continue
		}
		base := EstateKeyPrefix + slug(text)
		key := base
		for n := 2; seen[key]; n++ {
			key = base + "-" + strconv.Itoa(n)
		}
		seen[key] = true
		out = append(out, ChecklistDef{Key: key, Text: text})
	}
	return out
}

// EstateKeyPrefix begins the key of every item a system's own checklist
// adds.
const EstateKeyPrefix = "estate-"

// slug keeps lower-case letters and digits, turns runs of anything else
// into one dash, and caps the length.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		out = "item"
	}
	return out
}

// mergeChecklist combines a system's definitions with its stored ticks.
func mergeChecklist(defs []ChecklistDef, entries []ChecklistEntry, nTemplate int) []ChecklistItem {
	byKey := make(map[string]ChecklistEntry, len(entries))
	for _, e := range entries {
		byKey[e.Key] = e
	}
	out := make([]ChecklistItem, len(defs))
	for i, d := range defs {
		it := ChecklistItem{Key: d.Key, Text: d.Text, Source: "template"}
		if i >= nTemplate {
			it.Source = "estate"
		}
		if e, ok := byKey[d.Key]; ok {
			it.Done, it.By, it.At, it.Note, it.Evidence = e.Done, e.By, e.At, e.Note, e.Evidence
		}
		out[i] = it
	}
	return out
}
