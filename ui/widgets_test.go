package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/keyport/keyport/auth"
)

// shown is the text a widget draws, from its renderers' canvas.Text
// objects.
func shown(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *canvas.Text:
			b.WriteString(o.Text)
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// A fitLabel shows a text that fits whole and ends one that does not in
// an ellipsis, following its text and its width both ways.
func TestFitLabel(t *testing.T) {
	test.NewTempApp(t)
	long := strings.Repeat("averylongaddress", 8) + "@example.test"
	l := newFitLabel("Ada Lovelace")
	w := test.NewTempWindow(t, l)
	w.Resize(fyne.NewSize(300, 60))
	l.Resize(fyne.NewSize(300, 40))
	steps := []struct {
		text  string
		width float32
		want  string // whole text, or a prefix ending in "…"
	}{
		{"Ada Lovelace", 300, "Ada Lovelace"},
		{long, 300, "…"},
		{long, 2000, long},
		{long, 300, "…"},
		{"ada@example.test", 300, "ada@example.test"},
		{"ada@example.test", 40, "…"},
	}
	for i, s := range steps {
		if s.text != l.Text {
			l.SetText(s.text)
		}
		if s.width != 2000 {
			w.Resize(fyne.NewSize(s.width, 60))
		} else {
			w.Resize(fyne.NewSize(2100, 60))
		}
		l.Resize(fyne.NewSize(s.width, 40))
		got := shown(l)
		switch {
		case s.want == "…":
			if !strings.HasSuffix(got, "…") || len(got) >= len(s.text) || !strings.HasPrefix(s.text, strings.TrimSuffix(got, "…")) {
				t.Errorf("step %d: %q at width %v shows %q, want a prefix and an ellipsis", i, s.text, s.width, got)
			}
		case got != s.want:
			t.Errorf("step %d: %q at width %v shows %q, want it whole", i, s.text, s.width, got)
		}
	}
}

// BenchmarkAccountRow fills and lays out one row of the account list, as
// scrolling and start-up do for each visible row.
func BenchmarkAccountRow(b *testing.B) {
	test.NewTempApp(b)
	r := newAccountRow()
	test.NewTempWindow(b, r).Resize(fyne.NewSize(600, 100))
	for i := 0; b.Loop(); i++ {
		n := i % 100 // fresh texts, as a list of many accounts has
		a := auth.Account{Provider: "patreon", ID: fmt.Sprint(n), Name: fmt.Sprintf("Bench User %04d", n), Email: fmt.Sprintf("user%04d@example.test", n)}
		r.show(a, "Patreon", "valid · expires in 30 d", nil)
		r.Resize(fyne.NewSize(600, 90))
		r.Resize(fyne.NewSize(601, 90))
	}
}

// LoadFontsWhile returns only once load has run (the race detector checks
// the hand-over of what load wrote).
func TestLoadFontsWhile(t *testing.T) {
	test.NewTempApp(t)
	var got []string
	LoadFontsWhile(func() { got = append(got, "index") })
	if len(got) != 1 {
		t.Fatalf("load ran %d times", len(got))
	}
}
