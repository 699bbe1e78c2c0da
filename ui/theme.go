package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// keyportTheme is Fyne's default theme with reds people can read. Fyne's
// red (#f44336) under the danger button's text is 3.9:1 in the dark theme
// once the button has focus, and 3.7:1 in the light theme at any time;
// these make the text, plain, hovered or focused, and error text on the
// window at least 4.5:1 (WCAG AA), checked by TestDangerContrast.
type keyportTheme struct{ fyne.Theme }

var (
	darkError  = color.NRGBA{R: 0xff, G: 0x6e, B: 0x60, A: 0xff} // lighter, under dark text
	lightError = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff} // darker, under white text
)

// newTheme wraps Fyne's default theme.
func newTheme() fyne.Theme { return keyportTheme{theme.DefaultTheme()} }

// Color returns Keyport's red for errors and danger, else Fyne's colour.
func (t keyportTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameError {
		if v == theme.VariantLight {
			return lightError
		}
		return darkError
	}
	return t.Theme.Color(n, v)
}
