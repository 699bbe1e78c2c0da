package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// addAccount is an Update function that appends one account.
func addAccount(provider, id string) func([]Account) ([]Account, error) {
	return func(accounts []Account) ([]Account, error) {
		return append(accounts, Account{Provider: provider, ID: id, Status: StatusValid}), nil
	}
}

func assertKeys(t *testing.T, accounts []Account, want map[string]bool) {
	t.Helper()
	got := map[string]bool{}
	for _, a := range accounts {
		if got[a.Key()] {
			t.Errorf("account %s listed twice", a.Key())
		}
		got[a.Key()] = true
	}
	for k := range want {
		if !got[k] {
			t.Errorf("account %s was lost", k)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d accounts, want %d", len(got), len(want))
	}
}

func TestIndexLoadMissing(t *testing.T) {
	accounts, err := OpenIndex(filepath.Join(t.TempDir(), "none")).Load()
	if err != nil || len(accounts) != 0 {
		t.Fatalf("Load of a missing index: %v, %v; want an empty list", accounts, err)
	}
}

func TestIndexUpdateRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keyport")
	ix := OpenIndex(dir)
	want := Account{Provider: "patreon", ID: "42", Name: "Ada", Scopes: []string{"identity"},
		Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Connected: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Status: StatusValid}
	if _, err := ix.Update(func([]Account) ([]Account, error) { return []Account{want}, nil }); err != nil {
		t.Fatal(err)
	}
	got, err := OpenIndex(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key() != want.Key() || !got[0].Expiry.Equal(want.Expiry) || got[0].Name != "Ada" {
		t.Fatalf("loaded %+v, want %+v", got, want)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "accounts.json"))
	var f struct {
		Version  int               `json:"version"`
		Accounts []json.RawMessage `json:"accounts"`
	}
	if err := json.Unmarshal(raw, &f); err != nil || f.Version != 1 || len(f.Accounts) != 1 {
		t.Fatalf("file %s: want {\"version\":1,\"accounts\":[...]}", raw)
	}
}

func TestIndexUpdateErrorWritesNothing(t *testing.T) {
	ix := OpenIndex(t.TempDir())
	ix.Update(addAccount("p", "1"))
	boom := errors.New("boom")
	if _, err := ix.Update(func([]Account) ([]Account, error) { return nil, boom }); err != boom {
		t.Fatalf("Update: %v, want fn's error as is", err)
	}
	accounts, _ := ix.Load()
	assertKeys(t, accounts, map[string]bool{"p/1": true})
}

func TestIndexPermissionsAndNoTempFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keyport")
	ix := OpenIndex(dir)
	for i := range 3 {
		if _, err := ix.Update(addAccount("p", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.SaveProfile("p/1", []byte(`{"name":"Ada"}`)); err != nil {
		t.Fatal(err)
	}
	wantMode := map[string]fs.FileMode{".": 0o700 | fs.ModeDir, "accounts.json": 0o600, "profiles": 0o700 | fs.ModeDir}
	for name, mode := range wantMode {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), mode)
		}
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if strings.HasSuffix(path, ".tmp") {
			t.Errorf("temporary file left behind: %s", path)
		}
		if fi, _ := d.Info(); fi != nil && !d.IsDir() && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v readable by others", path, fi.Mode())
		}
		return nil
	})
}

func TestIndexCorruptFile(t *testing.T) {
	tests := []struct{ name, content string }{
		{"empty", ""},
		{"truncated", `{"version":1,"accounts":[{"provider":"p"`},
		{"not json", "hello"},
		{"newer version", `{"version":2,"accounts":[]}`},
		{"no version", `{"accounts":[]}`},
		{"wrong type", `{"version":1,"accounts":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "accounts.json")
			os.WriteFile(path, []byte(tt.content), 0o600)
			ix := OpenIndex(dir)
			_, loadErr := ix.Load()
			_, updateErr := ix.Update(addAccount("p", "1"))
			for _, err := range []error{loadErr, updateErr} {
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move the file aside") {
					t.Errorf("got %v, want an error naming %s and saying to move it aside", err, path)
				}
			}
			if got, _ := os.ReadFile(path); string(got) != tt.content {
				t.Errorf("the corrupt file was changed to %q", got)
			}
		})
	}
}

func TestIndexConcurrentUpdates(t *testing.T) {
	dir := t.TempDir()
	const workers, each = 4, 25
	want := map[string]bool{}
	var wg sync.WaitGroup
	for w := range workers {
		ix := OpenIndex(dir) // a separate Index per goroutine, like separate windows
		for i := range each {
			want[fmt.Sprintf("w%d/%d", w, i)] = true
		}
		wg.Go(func() {
			for i := range each {
				if _, err := ix.Update(addAccount(fmt.Sprintf("w%d", w), strconv.Itoa(i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	shared := OpenIndex(dir) // and one Index shared by goroutines
	for w := range 2 {
		for i := range each {
			want[fmt.Sprintf("s%d/%d", w, i)] = true
		}
		wg.Go(func() {
			for i := range each {
				if _, err := shared.Update(addAccount(fmt.Sprintf("s%d", w), strconv.Itoa(i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	accounts, err := OpenIndex(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	assertKeys(t, accounts, want)
}

const childIndexDir = "KEYPORT_TEST_INDEX_CHILD_DIR"

// TestIndexCrossProcessUpdates runs Updates in a child process (this test
// binary again) while the parent runs its own; none may be lost.
func TestIndexCrossProcessUpdates(t *testing.T) {
	const each = 40
	if dir := os.Getenv(childIndexDir); dir != "" {
		ix := OpenIndex(dir)
		for i := range each {
			if _, err := ix.Update(addAccount("child", strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIndexCrossProcessUpdates$", "-test.count=1")
	cmd.Env = append(os.Environ(), childIndexDir+"="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ix := OpenIndex(dir)
	for i := range each {
		if _, err := ix.Update(addAccount("parent", strconv.Itoa(i))); err != nil {
			t.Error(err)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	want := map[string]bool{}
	for i := range each {
		want["parent/"+strconv.Itoa(i)] = true
		want["child/"+strconv.Itoa(i)] = true
	}
	accounts, err := ix.Load()
	if err != nil {
		t.Fatal(err)
	}
	assertKeys(t, accounts, want)
}

func TestIndexProfiles(t *testing.T) {
	ix := OpenIndex(t.TempDir())
	keys := []string{"patreon/42", "github/ADA", "github/ada", "x/../../etc/passwd", "x/a\\b:c*?", "odd key without slash", "p/" + strings.Repeat("long", 100)}
	for _, key := range keys {
		if err := ix.SaveProfile(key, []byte(strconv.Quote(key))); err != nil {
			t.Fatalf("SaveProfile(%q): %v", key, err)
		}
	}
	for _, key := range keys {
		raw, err := ix.Profile(key)
		if err != nil || string(raw) != strconv.Quote(key) {
			t.Errorf("Profile(%q) = %s, %v", key, raw, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(ix.dir, "profiles"))
	if len(entries) != len(keys) {
		t.Errorf("%d profile files for %d keys", len(entries), len(keys))
	}
	if err := ix.SaveProfile("p/1", []byte("{not json")); err == nil {
		t.Error("SaveProfile accepted invalid JSON")
	}
	if err := ix.DeleteProfile("patreon/42"); err != nil {
		t.Fatal(err)
	}
	if err := ix.DeleteProfile("patreon/42"); err != nil {
		t.Fatalf("deleting a missing profile: %v", err)
	}
	if _, err := ix.Profile("patreon/42"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Profile after delete: %v, want fs.ErrNotExist", err)
	}
}

func TestFileKey(t *testing.T) {
	seen := map[string]string{}
	for _, key := range []string{"patreon/42", "github/ADA", "github/ada", "x/../../etc/passwd", "a/b/c", "Upper/1", "_/1", "/", "p/", "p/" + strings.Repeat("é", 200)} {
		name, err := fileKey(key)
		if err != nil {
			t.Fatalf("fileKey(%q): %v", key, err)
		}
		if other, dup := seen[strings.ToLower(name)]; dup {
			t.Errorf("%q and %q share the file name %q (on a case-insensitive file system)", key, other, name)
		}
		seen[strings.ToLower(name)] = key
		if strings.ContainsAny(name, `/\:*?"<>|.`) || len(name) > 120 || name == "" {
			t.Errorf("fileKey(%q) = %q is not a safe file name", key, name)
		}
	}
	if name, _ := fileKey("patreon/42"); !strings.HasPrefix(name, "patreon_") {
		t.Errorf("fileKey(patreon/42) = %q, want the provider readable", name)
	}
	if _, err := fileKey(""); err == nil {
		t.Error("fileKey accepted an empty key")
	}
}

func FuzzIndexLoad(f *testing.F) {
	f.Add([]byte(`{"version":1,"accounts":[]}`))
	f.Add([]byte(`{"version":1,"accounts":[{"provider":"p","id":"1","expiry":"2030-01-02T03:04:05Z","status":"valid"}]}`))
	f.Add([]byte(`{"version":1,"accounts":null}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		accounts, err := parseIndex(data)
		if err != nil {
			return
		}
		// What parses must survive a write and a read unchanged.
		once, err := json.Marshal(indexFile{Version: indexVersion, Accounts: accounts})
		if err != nil {
			return // e.g. a year outside 0-9999 cannot be written back
		}
		again, err := parseIndex(once)
		if err != nil {
			t.Fatalf("the index written back does not parse: %v\n%s", err, once)
		}
		twice, _ := json.Marshal(indexFile{Version: indexVersion, Accounts: again})
		if string(once) != string(twice) {
			t.Fatalf("the index changed on a round trip:\n%s\n%s", once, twice)
		}
	})
}

func BenchmarkIndexLoad10k(b *testing.B) {
	dir := b.TempDir()
	ix := OpenIndex(dir)
	now := time.Now().UTC()
	accounts := make([]Account, 10_000)
	for i := range accounts {
		accounts[i] = Account{Provider: "github", ID: strconv.Itoa(i), Name: "Person " + strconv.Itoa(i),
			Email: fmt.Sprintf("p%d@example.com", i), AvatarURL: "https://avatars.example.com/u/" + strconv.Itoa(i),
			Scopes: []string{"read:user", "repo"}, TokenType: "Bearer", Expiry: now.Add(time.Hour), Obtained: now,
			HasRefresh: true, Connected: now, LastRefresh: now, Status: StatusValid}
	}
	if _, err := ix.Update(func([]Account) ([]Account, error) { return accounts, nil }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := ix.Load()
		if err != nil || len(got) != len(accounts) {
			b.Fatalf("loaded %d accounts, %v", len(got), err)
		}
	}
}

// Reload reads the index only when the file changed: the window calls it
// at every focus, and 10,000 accounts take about 75 ms to parse.
func TestReloadSkipsUnchangedIndex(t *testing.T) {
	var dir string
	e, _ := newTestEngine(t, "", func(p *Params) { dir = p.ConfigDir })
	other := OpenIndex(dir) // another Keyport process
	add := func(id string) {
		if _, err := other.Update(func(l []Account) ([]Account, error) {
			return append(l, Account{Provider: "gumroad", ID: id, Name: "User " + id}), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("1")
	if err := e.Reload(); err != nil || len(e.Accounts()) != 1 {
		t.Fatalf("Reload after another process added an account: %d accounts, %v", len(e.Accounts()), err)
	}

	// The same file, size and time but other bytes: only a Reload that
	// reads the file notices (and finds it damaged).
	path := filepath.Join(dir, "accounts.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(strings.Repeat("x", int(fi.Size()))))
	f.Close()
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(); err != nil || len(e.Accounts()) != 1 {
		t.Fatalf("Reload of an unchanged file read it: %d accounts, %v", len(e.Accounts()), err)
	}
	// A newer time is a change.
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("Reload after the file changed: %v, want it read (and found damaged)", err)
	}

	// A write, even of the same size within the same clock tick, replaces
	// the file and is read.
	os.Remove(path)
	add("2")
	if err := e.Reload(); err != nil || len(e.Accounts()) != 1 {
		t.Fatalf("Reload: %d accounts, %v", len(e.Accounts()), err)
	}
	if _, err := other.Update(func(l []Account) ([]Account, error) {
		l[0].Name = "User 3" // same length as "User 2"
		return l, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	if a, _ := e.Account("gumroad/2"); a.Name != "User 3" {
		t.Errorf("after a same-size rewrite the account is named %q, want User 3", a.Name)
	}
}

// BenchmarkReloadUnchanged10k is the window's Reload at a focus when no
// other process changed the index, with 10,000 accounts.
func BenchmarkReloadUnchanged10k(b *testing.B) {
	keyring.MockInit()
	dir := b.TempDir()
	if _, err := OpenIndex(dir).Update(func([]Account) ([]Account, error) {
		l := make([]Account, 10000)
		for i := range l {
			l[i] = Account{Provider: "patreon", ID: strconv.Itoa(i), Name: fmt.Sprintf("User %05d", i), Email: fmt.Sprintf("u%05d@example.test", i), Status: StatusValid}
		}
		return l, nil
	}); err != nil {
		b.Fatal(err)
	}
	e, err := New(Params{ConfigDir: dir, Keychain: NewSystemKeychain("keyport-bench", time.Second)})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := e.Reload(); err != nil {
			b.Fatal(err)
		}
	}
}
