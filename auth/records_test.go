package auth

import (
	"context"
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

	"github.com/keyport/keyport/internal/jsonfile"
)

// testStore opens the account index of dir as a new process would, and
// records the changes it reports.
type testStore struct {
	*accountStore
	mu      sync.Mutex
	changes []record
}

func openTestStore(t testing.TB, dir string) *testStore {
	t.Helper()
	ts := &testStore{}
	s, err := openAccountStore(dir, time.Now, func(r record) {
		ts.mu.Lock()
		ts.changes = append(ts.changes, r)
		ts.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.accountStore = s
	return ts
}

// put writes an account the way the engine does: under its lock.
func (s *testStore) put(t testing.TB, a Account) {
	t.Helper()
	err := s.locked(context.Background(), a.Key(), func() error {
		_, err := s.update(a.Key(), func(r *record) error { r.Account, r.Removed = &a, time.Time{}; return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (s *testStore) remove(t testing.TB, key string) {
	t.Helper()
	err := s.locked(context.Background(), key, func() error {
		_, err := s.update(key, func(r *record) error { r.Account, r.Removed = nil, time.Now(); return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func keysOf(accounts []Account) map[string]bool {
	m := map[string]bool{}
	for _, a := range accounts {
		m[a.Key()] = true
	}
	return m
}

func assertKeys(t *testing.T, accounts []Account, want map[string]bool) {
	t.Helper()
	got := keysOf(accounts)
	if len(got) != len(accounts) {
		t.Errorf("an account is listed twice: %d accounts, %d keys", len(accounts), len(got))
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

func TestRecordsRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keyport")
	s := openTestStore(t, dir)
	want := Account{Provider: "patreon", ID: "42", Name: "Ada", Scopes: []string{"identity"},
		Expiry: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Connected: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Status: StatusValid}
	s.put(t, want)
	got := diskAccounts(t, dir)
	if len(got) != 1 || got[0].Key() != want.Key() || !got[0].Expiry.Equal(want.Expiry) || got[0].Name != "Ada" {
		t.Fatalf("loaded %+v, want %+v", got, want)
	}
	name, _ := fileKey(want.Key())
	raw, _ := os.ReadFile(filepath.Join(dir, recordsDir, name+".json"))
	var r record
	if err := json.Unmarshal(raw, &r); err != nil || r.V != recordVersion || r.Key != "patreon/42" || r.Rev == 0 || r.Account == nil {
		t.Fatalf("record file %s", raw)
	}
	s.remove(t, want.Key())
	if got := diskAccounts(t, dir); len(got) != 0 {
		t.Errorf("after removal: %+v", got)
	}
}

func TestRecordsPermissionsAndNoTempFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keyport")
	s := openTestStore(t, dir)
	for i := range 3 {
		s.put(t, Account{Provider: "p", ID: strconv.Itoa(i)})
	}
	if err := (profiles{dir: filepath.Join(dir, "profiles")}).save("p/1", []byte(`{"name":"Ada"}`)); err != nil {
		t.Fatal(err)
	}
	wantMode := map[string]fs.FileMode{".": 0o700 | fs.ModeDir, recordsDir: 0o700 | fs.ModeDir, "profiles": 0o700 | fs.ModeDir, "locks": 0o700 | fs.ModeDir}
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

// A damaged record is reported with its path and skipped; the others load,
// and the file is left as it was.
func TestRecordsDamagedFile(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	s.put(t, Account{Provider: "p", ID: "good"})
	for name, content := range map[string]string{"p_bad.json": `{"v":2,"key":"p/bad","account":`, "p_other.json": `{"v":9,"key":"p/zz"}`} {
		path := filepath.Join(dir, recordsDir, name)
		os.WriteFile(path, []byte(content), 0o600)
		other := &accountStore{dir: filepath.Join(dir, recordsDir), config: dir, now: time.Now, onChange: func(record) {},
			entries: map[string]record{}, names: map[string]string{}, seen: map[string]jsonfile.Stamp{}}
		err := other.scan()
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: scan error %v, want it to name the file", name, err)
		}
		if list := other.list(); len(list) != 1 || list[0].ID != "good" {
			t.Errorf("%s: the good record was not loaded: %+v", name, list)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Errorf("the damaged file was changed to %q", got)
		}
		os.Remove(path)
	}
}

// Writers in goroutines and in another process (this test binary again)
// each change their own accounts and, under the account lock, one shared
// counter account: nothing is lost.
const childIndexDir = "KEYPORT_TEST_INDEX_CHILD_DIR"

func TestRecordsConcurrentWriters(t *testing.T) {
	const each = 30
	bump := func(s *testStore, who string, i int) error {
		s.put(t, Account{Provider: who, ID: strconv.Itoa(i)})
		return s.locked(context.Background(), "shared/counter", func() error {
			_, err := s.update("shared/counter", func(r *record) error {
				if r.Account == nil {
					r.Account = &Account{Provider: "shared", ID: "counter"}
				}
				n, _ := strconv.Atoi(r.Account.Name)
				r.Account.Name = strconv.Itoa(n + 1)
				return nil
			})
			return err
		})
	}
	if dir := os.Getenv(childIndexDir); dir != "" {
		s := openTestStore(t, dir)
		for i := range each {
			if err := bump(s, "child", i); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRecordsConcurrentWriters$", "-test.count=1")
	cmd.Env = append(os.Environ(), childIndexDir+"="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 3 {
		s := openTestStore(t, dir) // one store per goroutine, like separate windows
		wg.Go(func() {
			for i := range each {
				if err := bump(s, fmt.Sprintf("w%d", w), i); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	want := map[string]bool{"shared/counter": true}
	for i := range each {
		for _, who := range []string{"w0", "w1", "w2", "child"} {
			want[who+"/"+strconv.Itoa(i)] = true
		}
	}
	list := diskAccounts(t, dir)
	assertKeys(t, list, want)
	for _, a := range list {
		if a.Key() == "shared/counter" && a.Name != strconv.Itoa(4*each) {
			t.Errorf("counter = %s, want %d: updates were lost", a.Name, 4*each)
		}
	}
}

// A scan never replaces a newer record this process holds with an older
// file, and a disconnected account does not come back.
func TestRecordsScanKeepsNewer(t *testing.T) {
	dir := t.TempDir()
	window, terminal := openTestStore(t, dir), openTestStore(t, dir)
	terminal.put(t, Account{Provider: "p", ID: "1", Name: "old"})
	if err := window.scan(); err != nil {
		t.Fatal(err)
	}
	name, _ := fileKey("p/1")
	path := filepath.Join(dir, recordsDir, name+".json")
	stale, _ := os.ReadFile(path)
	window.put(t, Account{Provider: "p", ID: "1", Name: "new"})
	// An older file shows up (a copy read before the write, written back).
	os.WriteFile(path, stale, 0o600)
	if err := terminal.scan(); err != nil {
		t.Fatal(err)
	}
	if a, _ := window.get("p/1"); a.Name != "new" {
		t.Errorf("the window lost its newer record: %+v", a)
	}
	if err := window.scan(); err != nil {
		t.Fatal(err)
	}
	if a, _ := window.get("p/1"); a.Name != "new" {
		t.Errorf("a scan replaced a newer record with an older file: %+v", a)
	}

	window.put(t, Account{Provider: "p", ID: "1", Name: "again"})
	terminal.scan()
	terminal.remove(t, "p/1")
	window.scan()
	if _, ok := window.get("p/1"); ok {
		t.Fatal("the window still lists a disconnected account")
	}
	os.WriteFile(path, stale, 0o600) // the old record comes back on disk
	window.scan()
	if _, ok := window.get("p/1"); ok {
		t.Error("an old record brought back a disconnected account")
	}
}

// A scan reads only the records that changed, and a second scan of an
// unchanged directory reads nothing.
func TestRecordsScanReadsChangedOnly(t *testing.T) {
	dir := t.TempDir()
	writer := openTestStore(t, dir)
	for i := range 5 {
		writer.put(t, Account{Provider: "p", ID: strconv.Itoa(i)})
	}
	reader := openTestStore(t, dir)
	reader.changes = nil
	writer.put(t, Account{Provider: "p", ID: "2", Name: "renamed"})
	if err := reader.scan(); err != nil {
		t.Fatal(err)
	}
	if len(reader.changes) != 1 || reader.changes[0].Account.Name != "renamed" {
		t.Errorf("changes after one write: %+v", reader.changes)
	}
	reader.changes = nil
	reader.scan()
	if len(reader.changes) != 0 {
		t.Errorf("an unchanged directory reported %d changes", len(reader.changes))
	}
}

// TestRecordsMigrate moves an index of the previous Keyport into records.
func TestRecordsMigrate(t *testing.T) {
	dir := t.TempDir()
	old := `{"version":1,"accounts":[{"provider":"patreon","id":"42","name":"Ada","status":"valid"},{"provider":"gumroad","id":"7","name":"Bo","status":"reconnect"}]}`
	os.WriteFile(filepath.Join(dir, legacyIndex), []byte(old), 0o600)
	list := diskAccounts(t, dir)
	assertKeys(t, list, map[string]bool{"patreon/42": true, "gumroad/7": true})
	if _, err := os.Stat(filepath.Join(dir, legacyIndex)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old index is still there: %v", err)
	}
	if a, _ := openTestStore(t, dir).get("gumroad/7"); a.Status != StatusReconnect || a.Name != "Bo" {
		t.Errorf("migrated account %+v", a)
	}
	os.WriteFile(filepath.Join(dir, legacyIndex), []byte(`{"version":7,"accounts":[]}`), 0o600)
	if _, err := openAccountStore(dir, time.Now, func(record) {}); err == nil || !strings.Contains(err.Error(), "version 7") {
		t.Errorf("an index of an unknown version: %v", err)
	}
}

func TestSweepTombstones(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	s.put(t, Account{Provider: "p", ID: "1"})
	s.remove(t, "p/1")
	s.sweep(context.Background())
	name, _ := fileKey("p/1")
	path := filepath.Join(dir, recordsDir, name+".json")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("a fresh tombstone was swept: %v", err)
	}
	s.now = func() time.Time { return time.Now().Add(tombstoneTTL + time.Hour) }
	s.sweep(context.Background())
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an old tombstone stays: %v", err)
	}
}

func TestProfiles(t *testing.T) {
	ix := profiles{dir: filepath.Join(t.TempDir(), "profiles")}
	keys := []string{"patreon/42", "github/ADA", "github/ada", "x/../../etc/passwd", "x/a\\b:c*?", "odd key without slash", "p/" + strings.Repeat("long", 100)}
	for _, key := range keys {
		if err := ix.save(key, []byte(strconv.Quote(key))); err != nil {
			t.Fatalf("save(%q): %v", key, err)
		}
	}
	for _, key := range keys {
		raw, err := ix.read(key)
		if err != nil || string(raw) != strconv.Quote(key) {
			t.Errorf("read(%q) = %s, %v", key, raw, err)
		}
	}
	entries, _ := os.ReadDir(ix.dir)
	if len(entries) != len(keys) {
		t.Errorf("%d profile files for %d keys", len(entries), len(keys))
	}
	if err := ix.save("p/1", []byte("{not json")); err == nil {
		t.Error("save accepted invalid JSON")
	}
	if err := ix.remove("patreon/42"); err != nil {
		t.Fatal(err)
	}
	if err := ix.remove("patreon/42"); err != nil {
		t.Fatalf("deleting a missing profile: %v", err)
	}
	if _, err := ix.read("patreon/42"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("read after delete: %v, want fs.ErrNotExist", err)
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

// BenchmarkRecordsLoad1k is what start-up pays for 1,000 accounts.
func BenchmarkRecordsLoad1k(b *testing.B) {
	dir := b.TempDir()
	s := openTestStore(b, dir)
	now := time.Now().UTC()
	for i := range 1000 {
		s.put(b, Account{Provider: "github", ID: strconv.Itoa(i), Name: "Person " + strconv.Itoa(i),
			Email: fmt.Sprintf("p%d@example.com", i), AvatarURL: "https://avatars.example.com/u/" + strconv.Itoa(i),
			Scopes: []string{"read:user", "repo"}, TokenType: "Bearer", Expiry: now.Add(time.Hour), Obtained: now,
			HasRefresh: true, Connected: now, LastRefresh: now, Status: StatusValid})
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := diskAccounts(b, dir); len(got) != 1000 {
			b.Fatalf("loaded %d accounts", len(got))
		}
	}
}

// BenchmarkReloadUnchanged10k is the window's Reload at a focus when no
// other process changed anything, with 10,000 accounts.
func BenchmarkReloadUnchanged10k(b *testing.B) {
	keyring.MockInit()
	dir := b.TempDir()
	s := openTestStore(b, dir)
	for i := range 10000 {
		s.put(b, Account{Provider: "patreon", ID: strconv.Itoa(i), Name: fmt.Sprintf("User %05d", i), Status: StatusValid})
	}
	e, err := New(Params{ConfigDir: dir, Keychain: NewSystemKeychain("keyport-bench", time.Second)})
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // past the coarse file-time window
	e.Reload()
	for b.Loop() {
		if err := e.Reload(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshIndexWrite is what one refresh writes to the index (the
// "refreshing" status, then the new token's facts, each a record written
// under the account's lock) with 1 and with 10,000 accounts connected. The
// bytes/refresh metric is the record files written.
func BenchmarkRefreshIndexWrite(b *testing.B) {
	for _, n := range []int{1, 10000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			now := time.Now()
			for i := range n { // written plainly: the setup need not be durable
				a := Account{Provider: "patreon", ID: strconv.Itoa(i), Name: fmt.Sprintf("User %05d", i), Email: fmt.Sprintf("u%05d@example.test", i),
					Scopes: []string{"identity"}, TokenType: "Bearer", Expiry: now.Add(time.Hour), Obtained: now, HasRefresh: true, Connected: now, Status: StatusValid}
				name, _ := fileKey(a.Key())
				data, _ := json.Marshal(record{V: recordVersion, Rev: 1, Key: a.Key(), Grant: "g", Account: &a})
				os.MkdirAll(filepath.Join(dir, recordsDir), 0o700)
				if err := os.WriteFile(filepath.Join(dir, recordsDir, name+".json"), data, 0o600); err != nil {
					b.Fatal(err)
				}
			}
			s := openTestStore(b, dir)
			if len(s.list()) != n {
				b.Fatalf("%d accounts loaded", len(s.list()))
			}
			key := "patreon/0"
			var size int64
			for b.Loop() {
				err := s.locked(context.Background(), key, func() error {
					if _, err := s.updateAccount(key, func(a *Account) { a.Status, a.RefreshStarted = StatusRefreshing, time.Now() }); err != nil {
						return err
					}
					_, err := s.updateAccount(key, func(a *Account) {
						a.Status, a.RefreshStarted, a.Obtained, a.LastRefresh = StatusValid, time.Time{}, time.Now(), time.Now()
					})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			name, _ := fileKey(key)
			if fi, err := os.Stat(filepath.Join(dir, recordsDir, name+".json")); err == nil {
				size = fi.Size()
			}
			b.ReportMetric(float64(2*size), "bytes/refresh")
		})
	}
}

// A record file that goes away between listing the directory and reading
// it (a tombstone swept by another process) is no error: the next scan
// sees it gone.
func TestReadChangedFileGone(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	s.put(t, Account{Provider: "patreon", ID: "1", Name: "One"})
	_, name, err := s.path("patreon/2")
	if err != nil {
		t.Fatal(err)
	}
	recs, files, errs := s.readChanged([]string{name})
	if len(recs) != 0 || len(files) != 0 || len(errs) != 0 {
		t.Errorf("readChanged of a vanished file = %v, %v, %v", recs, files, errs)
	}
}
