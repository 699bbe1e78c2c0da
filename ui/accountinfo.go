package ui

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/boundary"
	"github.com/keyport/keyport/internal/human"
)

// Bounds on what the profile view draws.
const (
	maxProfileFields = 200 // label pairs
	maxFieldText     = 500 // runes of one path or value
)

// accountFacts lists what the index knows of an account, as label pairs.
func accountFacts(a auth.Account, provider string, now time.Time) [][2]string {
	facts := [][2]string{{"Status", sentence(human.Describe(a, now))}}
	if a.Reason != "" && a.Status != auth.StatusRetrying && a.Status != auth.StatusError {
		facts = append(facts, [2]string{"Reason", sentence(a.Reason)})
	}
	facts = append(facts, [2]string{"Provider", provider}, [2]string{"Account ID", a.ID})
	if a.Email != "" {
		facts = append(facts, [2]string{"Email", a.Email})
	}
	if a.ProfileURL != "" {
		facts = append(facts, [2]string{"Profile page", a.ProfileURL})
	}
	if !a.APIKey {
		scopes := strings.Join(a.Scopes, " ")
		if scopes == "" {
			scopes = "—"
		}
		expiry := "does not expire"
		if a.Expires() {
			expiry = when(a.Expiry, now)
		}
		facts = append(facts, [2]string{"Scopes", scopes}, [2]string{"Token type", cmp.Or(a.TokenType, "—")},
			[2]string{"Expires", expiry}, [2]string{"Last refresh", when(a.LastRefresh, now)})
	}
	return append(facts, [2]string{"Connected", when(a.Connected, now)})
}

// when words a moment: "3 Mar 2026 14:05 (in 27 d)", "… (5 min ago)".
func when(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	abs := t.Local().Format("2 Jan 2006 15:04")
	if t.After(now) {
		return abs + " (in " + human.Duration(t.Sub(now)) + ")"
	}
	return abs + " (" + human.Duration(now.Sub(t)) + " ago)"
}

// profile draws the raw profile kept when the account was connected: its
// scalar fields as label pairs and the whole JSON in a collapsed section.
func (v *accountView) profile() fyne.CanvasObject {
	raw, err := v.deps.engine.Profile(v.acct.Key())
	if err != nil || len(raw) == 0 {
		return widget.NewLabel("No profile was saved for this account.")
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return widget.NewLabel("The saved profile is not valid JSON.")
	}
	form := container.New(layout.NewFormLayout())
	for _, f := range flatten(doc) {
		form.Add(boldLabel(f[0]))
		form.Add(valueLabel(f[1]))
	}
	rawLabel := monoLabel(boundary.JSON(raw))
	rawLabel.Truncation = fyne.TextTruncateOff
	rawLabel.Wrapping = fyne.TextWrapBreak
	acc := widget.NewAccordion(widget.NewAccordionItem("Raw profile (JSON)", rawLabel))
	return container.NewVBox(heading("Profile"), form, acc)
}

// flatten lists the scalar fields of a JSON document with their paths
// ("data.attributes.email", "emails[0]"), in key order, at most
// maxProfileFields of them. Paths and values are provider text, made safe
// with boundary.Text.
func flatten(doc any) [][2]string {
	var out [][2]string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if len(out) >= maxProfileFields {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(strings.TrimPrefix(path+"."+k, "."), v[k])
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		case nil:
			out = append(out, [2]string{boundary.Text(path, maxFieldText), "null"})
		default:
			out = append(out, [2]string{boundary.Text(path, maxFieldText), boundary.Text(fmt.Sprint(v), maxFieldText)})
		}
	}
	walk("", doc)
	return out
}

// boldLabel is the name half of a label pair.
func boldLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	return l
}

// valueLabel is the value half of a label pair: selectable, wrapped.
func valueLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Selectable = true
	l.Wrapping = fyne.TextWrapBreak
	return l
}

// monoLabel shows code (the raw profile) in a fixed-width font.
func monoLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Monospace = true
	l.Selectable = true
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}
