// Command baseline is the minimal Fyne window that bench/run.sh measures
// Keyport against: one label and one button, built with the same Fyne
// version and tags, sized like Keyport's window.
package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("io.keyport.bench.baseline")
	w := a.NewWindow("Baseline")
	label := widget.NewLabel("Hello")
	w.SetContent(container.NewVBox(label, widget.NewButton("Press", func() { label.SetText("Pressed") })))
	w.Resize(fyne.NewSize(1040, 680))
	w.ShowAndRun()
}
