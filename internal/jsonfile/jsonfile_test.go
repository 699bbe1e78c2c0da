package jsonfile

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type doc struct {
	N     int               `json:"n"`
	Names map[string]string `json:"names,omitempty"`
}

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "f.json")
	var d doc
	if found, err := Read(path, &d, 1<<20); found || err != nil {
		t.Fatalf("Read of a missing file: %v, %v", found, err)
	}
	if err := Write(path, doc{N: 7}); err != nil {
		t.Fatal(err)
	}
	if found, err := Read(path, &d, 1<<20); !found || err != nil || d.N != 7 {
		t.Fatalf("Read: %v %v %+v", found, err, d)
	}
	fi, _ := os.Stat(path)
	dir, _ := os.Stat(filepath.Dir(path))
	if fi.Mode().Perm() != 0o600 || dir.Mode().Perm() != 0o700 {
		t.Errorf("modes %v, %v; want 0600, 0700", fi.Mode().Perm(), dir.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if _, err := Read(path, &d, 3); err == nil || !strings.Contains(err.Error(), "larger than 3 bytes") {
		t.Errorf("Read over the cap: %v", err)
	}
	os.WriteFile(path, []byte("{broken"), 0o600)
	if _, err := Read(path, &d, 1<<20); err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), path) {
		t.Errorf("Read of a damaged file: %v", err)
	}
}

// TestUpdateLosesNothing runs read-modify-writes from goroutines and from
// another process at once: every increment survives.
func TestUpdateLosesNothing(t *testing.T) {
	if os.Getenv("JSONFILE_CHILD") != "" {
		path := os.Getenv("JSONFILE_CHILD")
		for range 50 {
			if err := Update(context.Background(), path, 1<<20, func(d *doc) error { d.N++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	path := filepath.Join(t.TempDir(), "counter.json")
	child := exec.Command(os.Args[0], "-test.run=^TestUpdateLosesNothing$")
	child.Env = append(os.Environ(), "JSONFILE_CHILD="+path)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				if err := Update(context.Background(), path, 1<<20, func(d *doc) error { d.N++; return nil }); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := child.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	var d doc
	Read(path, &d, 1<<20)
	if d.N != 150 {
		t.Errorf("counter = %d, want 150", d.N)
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.json")
	Write(path, doc{N: 1})
	boom := errors.New("boom")
	if err := Update(context.Background(), path, 1<<20, func(d *doc) error { d.N = 99; return boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
	var d doc
	Read(path, &d, 1<<20)
	if d.N != 1 {
		t.Errorf("N = %d after a failed update", d.N)
	}
}

func TestLockHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Lock: %v, want the deadline", err)
	}
}

// TestStamp checks that a rewrite is a new version even when its size and
// time are the old one's.
func TestStamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.json")
	Write(path, doc{N: 1})
	a := StampOf(path)
	if !a.Same(StampOf(path)) {
		t.Fatal("a file is not the same as itself")
	}
	fi, _ := os.Stat(path)
	Write(path, doc{N: 2}) // same size
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	if a.Same(StampOf(path)) {
		t.Error("a rewrite of the same size and time looks unchanged")
	}
	if (Stamp{}).Same(Stamp{}) || StampOf(path+".none").Same(a) {
		t.Error("a missing file is the same as something")
	}
}

// ReadStamped decodes the file and returns the stamp of the version it
// read; what Read refuses, it refuses.
func TestReadStamped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	if err := Write(path, doc{N: 1}); err != nil {
		t.Fatal(err)
	}
	var d doc
	st, found, err := ReadStamped(path, &d, 1<<10)
	if err != nil || !found || d.N != 1 {
		t.Fatalf("ReadStamped = %v, %v, %+v", found, err, d)
	}
	if !st.Same(StampOf(path)) {
		t.Error("the stamp is not the file's")
	}
	Write(path, doc{N: 2})
	if st.Same(StampOf(path)) {
		t.Error("the stamp of the old version matches the new one")
	}
	if st, found, err := ReadStamped(filepath.Join(dir, "none.json"), &d, 1<<10); err != nil || found || st.Same(st) {
		t.Errorf("a missing file: found %v, err %v, stamp %v", found, err, st)
	}
	os.WriteFile(path, []byte(`{"n":`), 0o600)
	if _, found, err := ReadStamped(path, &d, 1<<10); !found || err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a damaged file: found %v, err %v", found, err)
	}
	os.WriteFile(path, []byte(`{"n":12345}`), 0o600)
	if _, _, err := ReadStamped(path, &d, 5); err == nil || !strings.Contains(err.Error(), "larger than 5 bytes") || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("a file over the cap: err %v", err)
	}
}
