package ui

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// contrast and relativeLuminance are in icons_test.go.

// over lays a translucent colour on an opaque one, as a button blends its
// hover and focus colours over its background.
func over(under, top color.Color) color.Color {
	ur, ug, ub, _ := under.RGBA()
	tr, tg, tb, ta := top.RGBA() // premultiplied
	a := float64(ta) / 0xffff
	mix := func(u, t uint32) uint8 { return uint8(math.Round((float64(u)*(1-a) + float64(t)) / 0x101)) }
	return color.NRGBA{R: mix(ur, tr), G: mix(ug, tg), B: mix(ub, tb), A: 0xff}
}

// TestDangerContrast checks the danger button from the theme's colours:
// its text (ForegroundOnError) on its background (Error), plain, hovered
// and focused, and error text on the window background, in the dark and
// the light theme, at least 4.5:1.
func TestDangerContrast(t *testing.T) {
	test.NewTempApp(t) // the theme reads the app's primary colour
	th := newTheme()
	for _, v := range []fyne.ThemeVariant{theme.VariantDark, theme.VariantLight} {
		name := map[fyne.ThemeVariant]string{theme.VariantDark: "dark", theme.VariantLight: "light"}[v]
		fg, bg := th.Color(theme.ColorNameForegroundOnError, v), th.Color(theme.ColorNameError, v)
		cases := map[string][2]color.Color{
			"button":         {fg, bg},
			"button hovered": {fg, over(bg, th.Color(theme.ColorNameHover, v))},
			"button focused": {fg, over(bg, th.Color(theme.ColorNameFocus, v))},
			"error text":     {bg, th.Color(theme.ColorNameBackground, v)},
		}
		for what, c := range cases {
			if r := contrast(c[0], c[1]); r < 4.5 {
				t.Errorf("%s theme, %s: contrast %.2f:1 (%v on %v), want at least 4.5:1", name, what, r, c[0], c[1])
			}
		}
	}
}

// The check itself can fail: Fyne's own red does, where it is known to.
func TestDangerContrastCatchesFyneRed(t *testing.T) {
	test.NewTempApp(t)
	th := theme.DefaultTheme()
	v := theme.VariantDark
	bg := over(th.Color(theme.ColorNameError, v), th.Color(theme.ColorNameFocus, v))
	if r := contrast(th.Color(theme.ColorNameForegroundOnError, v), bg); r >= 4.5 {
		t.Errorf("Fyne's focused danger button measures %.2f:1; the fix may no longer be needed", r)
	}
	if r := contrast(color.White, color.Black); math.Abs(r-21) > 0.01 {
		t.Errorf("white on black measures %.2f:1, want 21:1", r)
	}
}

// The window uses the theme.
func TestWindowUsesTheme(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if _, ok := h.app.Settings().Theme().(keyportTheme); !ok {
		t.Errorf("the app's theme is %T, want keyportTheme", h.app.Settings().Theme())
	}
}
