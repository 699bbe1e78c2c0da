package jsonfile

import (
	"io/fs"
	"os"
	"time"
)

// Stamp identifies one version of a file without reading it: since every
// write replaces the file, a new version has a new file identity (inode)
// even when its size and time match the old one's.
type Stamp struct {
	info fs.FileInfo
}

// StampOf returns the stamp of the file at path, or the zero Stamp when it
// cannot be read (missing, for one).
func StampOf(path string) Stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}
	}
	return Stamp{fi}
}

// Same reports whether s and o are the same version of a file. The zero
// Stamp is the same as no other.
func (s Stamp) Same(o Stamp) bool {
	if s.info == nil || o.info == nil {
		return false
	}
	return os.SameFile(s.info, o.info) && s.info.Size() == o.info.Size() && s.info.ModTime().Equal(o.info.ModTime())
}

// ModTime returns the file's modification time (zero for the zero Stamp).
func (s Stamp) ModTime() time.Time {
	if s.info == nil {
		return time.Time{}
	}
	return s.info.ModTime()
}
