package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/keyport/keyport/auth"
	"github.com/keyport/keyport/internal/proxy"
)

// apiBody is what the bench's API answers: a small JSON page, as a typical
// REST call returns.
var apiBody = []byte(`{"data":[{"id":"1","type":"item","attributes":{"name":"First item","created":"2026-01-02T03:04:05Z"}},` +
	`{"id":"2","type":"item","attributes":{"name":"Second item","created":"2026-01-02T03:04:06Z"}}],"meta":{"page":1,"pages":1}}`)

// target is one way to the API: straight, through the baseline, through
// Keyport's proxy.
type target struct {
	name   string
	url    string // full URL of the request
	header http.Header
	client *http.Client
}

func newTarget(name, url string, header http.Header) *target {
	t := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true, IdleConnTimeout: time.Minute}
	return &target{name: name, url: url, header: header, client: &http.Client{Transport: t}}
}

// hit makes one request and reads the answer; it fails on anything but
// the API's 200.
func (tg *target) hit() error {
	req, err := http.NewRequest(http.MethodGet, tg.url, nil)
	if err != nil {
		return err
	}
	for k, v := range tg.header {
		req.Header[k] = v
	}
	resp, err := tg.client.Do(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || n != int64(len(apiBody)) {
		return fmt.Errorf("%s: HTTP %d, %d bytes", tg.name, resp.StatusCode, n)
	}
	return nil
}

// startPrinting runs cmd, waits for the first line it prints (its base
// URL) and stops it when the test ends.
func startPrinting(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("%s printed no address: %v", cmd.Path, err)
	}
	go io.Copy(io.Discard, out)
	return strings.TrimSpace(line)
}

// rssKB reads a process's resident memory.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestProxyFigures measures `keyport proxy` (the real binary, logging its
// line per request to a file) against bench/proxybase, a bare
// httputil.ReverseProxy adding a fixed header, and against proxybase
// -pool, which reuses its copy buffers as Keyport's does; all in front of
// one local API server in this process: the median latency each adds to a
// request (sequential requests to the API straight and through three
// processes of each proxy, in a new random order each round), throughput
// with 8 concurrent clients (interleaved runs), and Keyport's
// resident memory before and after 10,000 requests.
func TestProxyFigures(t *testing.T) {
	heavy(t)
	keyportBin, baseBin := os.Getenv("KEYPORT_BENCH_KEYPORT"), os.Getenv("KEYPORT_BENCH_PROXYBASE")
	if keyportBin == "" || baseBin == "" {
		t.Fatal("KEYPORT_BENCH_KEYPORT and KEYPORT_BENCH_PROXYBASE name the binaries (bench/run.sh builds them)")
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("no session bus: run under scripts/with-keyring.sh")
	}
	rounds := 3000
	if n, err := strconv.Atoi(os.Getenv("BENCH_PROXY_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}

	// The API.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(apiBody)
	})}
	go api.Serve(l)
	t.Cleanup(func() { api.Close() })
	apiURL := "http://" + l.Addr().String()

	// Keyport with one account whose API is that server.
	dir := t.TempDir()
	service := "keyport-bench-proxy-" + strings.ToLower(rand.Text()[:8])
	t.Cleanup(func() { keyring.DeleteAll(service) })
	file := fmt.Sprintf(`{"providers":[{"id":"bench","name":"Bench API","authorize_url":"https://bench.example/authorize","token_url":"https://bench.example/token","api_base":%q}]}`, apiURL)
	if err := os.WriteFile(filepath.Join(dir, "providers.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := auth.New(auth.Params{ConfigDir: dir, Service: service})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a := auth.Account{Provider: "bench", ID: "1", Name: "Bench", TokenType: "Bearer", Expiry: now.Add(30 * 24 * time.Hour), Obtained: now,
		HasRefresh: true, Connected: now, Status: auth.StatusValid}
	if err := e.Import(context.Background(), a, auth.Secret{AccessToken: "bench-access-token", RefreshToken: "bench-refresh", TokenType: "Bearer", Expiry: a.Expiry}); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "KEYPORT_CONFIG_DIR="+dir, "KEYPORT_KEYRING_SERVICE="+service)
	keyCmd := exec.Command(keyportBin, "proxy", "--print-key")
	keyCmd.Env = env
	key, err := keyCmd.Output()
	if err != nil {
		t.Fatalf("keyport proxy --print-key: %v", err)
	}
	kp := exec.Command(keyportBin, "proxy", "--listen", "127.0.0.1:0", "--socket", "")
	kp.Env = env
	logFile, err := os.Create(filepath.Join(dir, "proxy.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	kp.Stderr = logFile
	kpURL := startPrinting(t, kp)
	// Each proxy runs as several processes: the same program measures up
	// to a fifth apart from one process to the next (bench/FINDINGS.md),
	// so a figure is the median of its processes' medians. The first of
	// each also serves the throughput and memory figures.
	instances := 3
	if n, err := strconv.Atoi(os.Getenv("BENCH_PROXY_INSTANCES")); err == nil && n > 0 {
		instances = n
	}
	keyHeader := http.Header{proxy.KeyHeader: {strings.TrimSpace(string(key))}}
	startBase := func(args ...string) string {
		cmd := exec.Command(baseBin, append(args, "-target", apiURL, "-header", "Authorization", "-value", "Bearer bench-access-token")...)
		cmd.Stderr = os.Stderr
		return startPrinting(t, cmd)
	}
	direct := newTarget("direct", apiURL+"/items?page=1", http.Header{"Authorization": {"Bearer bench-access-token"}})
	keyport := newTarget("keyport", kpURL+"/bench/items?page=1", keyHeader)
	baseline := newTarget("baseline", startBase()+"/items?page=1", nil)
	pool := newTarget("pooled", startBase("-pool")+"/items?page=1", nil)
	kinds := map[string][]*target{"keyport": {keyport}, "baseline": {baseline}, "pooled": {pool}}
	for i := 2; i <= instances; i++ {
		more := exec.Command(keyportBin, "proxy", "--listen", "127.0.0.1:0", "--socket", "")
		more.Env = env
		more.Stderr = logFile
		kinds["keyport"] = append(kinds["keyport"], newTarget(fmt.Sprintf("keyport#%d", i), startPrinting(t, more)+"/bench/items?page=1", keyHeader))
		kinds["baseline"] = append(kinds["baseline"], newTarget(fmt.Sprintf("baseline#%d", i), startBase()+"/items?page=1", nil))
		kinds["pooled"] = append(kinds["pooled"], newTarget(fmt.Sprintf("pooled#%d", i), startBase("-pool")+"/items?page=1", nil))
	}
	all := []*target{direct}
	for _, k := range []string{"keyport", "baseline", "pooled"} {
		all = append(all, kinds[k]...)
	}
	for range 1000 { // warm up: connections, the keychain read, the runtime's heap
		for _, tg := range all {
			if err := tg.hit(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Memory: resident size after the warm-up, then after 10,000 more.
	rss0 := rssKB(t, kp.Process.Pid)
	var trend []string
	for i := range 10000 {
		if err := keyport.hit(); err != nil {
			t.Fatal(err)
		}
		if (i+1)%2500 == 0 {
			trend = append(trend, strconv.Itoa(rssKB(t, kp.Process.Pid)))
		}
	}
	rss1 := rssKB(t, kp.Process.Pid)

	// Latency: one request each way per round, in a random order.
	took := map[string][]time.Duration{}
	for range rounds {
		for _, i := range mrand.Perm(len(all)) {
			tg := all[i]
			start := time.Now()
			if err := tg.hit(); err != nil {
				t.Fatal(err)
			}
			took[tg.name] = append(took[tg.name], time.Since(start))
		}
	}
	added := func(name string) time.Duration {
		d := make([]time.Duration, rounds)
		for i := range d {
			d[i] = took[name][i] - took["direct"][i]
		}
		return median(d)
	}
	// addedBy is the median over a kind's processes of what each adds,
	// and each process's figure.
	addedBy := func(kind string) (time.Duration, string) {
		var each []time.Duration
		var text []string
		for _, tg := range kinds[kind] {
			each = append(each, added(tg.name))
			text = append(text, fmt.Sprintf("%.1f", float64(each[len(each)-1].Nanoseconds())/1000))
		}
		return median(each), strings.Join(text, ",")
	}

	// Throughput: 8 clients for 2 s, nine runs each, interleaved: single
	// runs of one program range over a fifth and more.
	rps := map[string][]float64{}
	for range 9 {
		order := []*target{baseline, pool, keyport}
		mrand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, tg := range order {
			var n atomic.Int64
			var failed atomic.Value
			end := time.Now().Add(2 * time.Second)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for time.Now().Before(end) {
						if err := tg.hit(); err != nil {
							failed.Store(err)
							return
						}
						n.Add(1)
					}
				})
			}
			wg.Wait()
			if err, _ := failed.Load().(error); err != nil {
				t.Fatal(err)
			}
			rps[tg.name] = append(rps[tg.name], float64(n.Load())/2)
		}
	}
	medianF := func(v []float64) float64 {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x)
		}
		return float64(median(d))
	}

	logged, _ := os.ReadFile(logFile.Name())
	if n := bytes.Count(logged, []byte("msg=proxy ")); n < 10000 {
		t.Errorf("keyport proxy logged %d request lines", n)
	}
	us := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Nanoseconds())/1000) }
	record(t, "proxy_rounds", rounds)
	record(t, "proxy_direct_us", us(median(took["direct"])))
	record(t, "proxy_instances", instances)
	for _, kind := range []string{"keyport", "baseline", "pooled"} {
		fig, each := addedBy(kind)
		record(t, "proxy_added_"+kind+"_us", us(fig))
		record(t, "proxy_added_"+kind+"_each_us", each)
	}
	record(t, "proxy_rps_keyport", fmt.Sprintf("%.0f", medianF(rps["keyport"])))
	record(t, "proxy_rps_baseline", fmt.Sprintf("%.0f", medianF(rps["baseline"])))
	record(t, "proxy_rps_pooled", fmt.Sprintf("%.0f", medianF(rps["pooled"])))
	var each []string
	for i := range rps["keyport"] {
		each = append(each, fmt.Sprintf("%.2f", rps["keyport"][i]/rps["baseline"][i]))
	}
	record(t, "proxy_rps_round_ratios", strings.Join(each, ","))
	record(t, "proxy_rss_start_kb", rss0)
	record(t, "proxy_rss_end_kb", rss1)
	record(t, "proxy_rss_trend_kb", strings.Join(trend, ","))
}
