// interop: the independent side of Vectra's transparency-log tests. It uses
// only Go's golang.org/x/mod/sumdb/note and .../sumdb/tlog (Debian's
// golang-golang-x-mod-dev, built in GOPATH mode) and its own small readers
// of the C2SP text formats, never Vectra code.
//
//	interop check DIR VKEY PROOF CONS OLDCHECKPOINT
//	    verifies DIR/checkpoint (a note signed by VKEY), recomputes the tree
//	    from the C2SP tiles and entry bundles in DIR (tlog.TileHashReader
//	    authenticates every tile against the checkpoint), checks the
//	    tlog-proof PROOF with tlog.CheckRecord and the "old N" consistency
//	    proof CONS from OLDCHECKPOINT with tlog.CheckTree.
//	interop write DIR N OLDN
//	    writes a log of N claims in the same layout, signed by a fresh
//	    note key (DIR/log.vkey): DIR/checkpoint (size N),
//	    DIR/checkpoint.old (size OLDN), DIR/proof (tlog-proof of entry
//	    N/2) and DIR/cons (consistency from OLDN to N).
//	interop sign KEYFILE NOTE
//	    signs the text of the signed note NOTE again with the private key
//	    KEYFILE (a vlog key file read by note.NewSigner) and prints it.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "interop: "+f+"\n", a...)
	os.Exit(1)
}

// C2SP paths are Go's tile paths without the height element.
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	if t.L == -1 {
		return strings.Replace(p, "tile/8/data/", "tile/entries/", 1)
	}
	return strings.Replace(p, "tile/8/", "tile/", 1)
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func openCheckpoint(msg []byte, v note.Verifier) checkpoint {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		die("checkpoint note: %v", err)
	}
	lines := strings.SplitAfter(n.Text, "\n")
	if len(lines) < 4 {
		die("checkpoint: too few lines")
	}
	size, err := strconv.ParseInt(strings.TrimSuffix(lines[1], "\n"), 10, 64)
	if err != nil {
		die("checkpoint size: %v", err)
	}
	h, err := tlog.ParseHash(strings.TrimSuffix(lines[2], "\n"))
	if err != nil {
		die("checkpoint root: %v", err)
	}
	return checkpoint{strings.TrimSuffix(lines[0], "\n"), tlog.Tree{N: size, Hash: h}}
}

func readFile(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		die("%v", err)
	}
	return b
}

func splitBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("truncated length")
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b)-2 < n {
			return nil, errors.New("truncated entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

func hashLines(lines []string) ([]tlog.Hash, error) {
	var hs []tlog.Hash
	for _, l := range lines {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, nil
}

func check(dir, vkey, proofFile, consFile, oldFile string) {
	v, err := note.NewVerifier(strings.TrimSpace(string(readFile(vkey))))
	if err != nil {
		die("verifier key: %v", err)
	}
	cp := openCheckpoint(readFile(filepath.Join(dir, "checkpoint")), v)
	fmt.Printf("note: checkpoint of %s size %d verifies\n", cp.origin, cp.tree.N)

	hr := tlog.TileHashReader(cp.tree, dirTiles{dir})
	root, err := tlog.TreeHash(cp.tree.N, hr)
	if err != nil {
		die("tiles: %v", err)
	}
	if root != cp.tree.Hash {
		die("tiles: tree hash %v, checkpoint says %v", root, cp.tree.Hash)
	}
	var count int64
	for _, t := range tlog.NewTiles(8, 0, cp.tree.N) {
		if t.L != 0 || (t.W != 256 && t.N<<8+int64(t.W) != cp.tree.N) {
			continue // only the full tiles and the partial one for this size
		}
		t.L = -1
		b, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
		if err != nil {
			die("entry bundle: %v", err)
		}
		entries, err := splitBundle(b)
		if err != nil || len(entries) != t.W {
			die("entry bundle %s: %d entries, want %d (%v)", c2spPath(t), len(entries), t.W, err)
		}
		for i, e := range entries {
			idx := t.N<<8 + int64(i)
			hs, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, idx)})
			if err != nil {
				die("leaf %d: %v", idx, err)
			}
			if hs[0] != tlog.RecordHash(e) {
				die("entry %d does not hash to its leaf in the tiles", idx)
			}
			count++
		}
	}
	if count != cp.tree.N {
		die("entry bundles hold %d entries, checkpoint size %d", count, cp.tree.N)
	}
	fmt.Printf("tlog: tree of %d entries recomputed from tiles and entry bundles\n", count)

	// tlog-proof
	p := string(readFile(proofFile))
	head, rest, ok := strings.Cut(p, "\n\n")
	if !ok {
		die("proof: no blank line")
	}
	lines := strings.Split(head, "\n")
	if len(lines) < 3 || lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "extra ") ||
		!strings.HasPrefix(lines[2], "index ") {
		die("proof: bad header")
	}
	entry, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[1], "extra "))
	if err != nil {
		die("proof extra: %v", err)
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[2], "index "), 10, 64)
	if err != nil {
		die("proof index: %v", err)
	}
	path, err := hashLines(lines[3:])
	if err != nil {
		die("proof hashes: %v", err)
	}
	pcp := openCheckpoint([]byte(rest), v)
	if err := tlog.CheckRecord(tlog.RecordProof(path), pcp.tree.N, pcp.tree.Hash, index, tlog.RecordHash(entry)); err != nil {
		die("inclusion proof: %v", err)
	}
	fmt.Printf("tlog: inclusion proof of entry %d in tree %d verifies\n", index, pcp.tree.N)

	old := openCheckpoint(readFile(oldFile), v)
	c := strings.Split(strings.TrimSuffix(string(readFile(consFile)), "\n"), "\n")
	if len(c) < 1 || c[0] != "old "+strconv.FormatInt(old.tree.N, 10) {
		die("consistency proof: first line %q, want old %d", c[0], old.tree.N)
	}
	cons, err := hashLines(c[1:])
	if err != nil {
		die("consistency hashes: %v", err)
	}
	if err := tlog.CheckTree(tlog.TreeProof(cons), cp.tree.N, cp.tree.Hash, old.tree.N, old.tree.Hash); err != nil {
		die("consistency proof: %v", err)
	}
	fmt.Printf("tlog: consistency proof %d -> %d verifies\n", old.tree.N, cp.tree.N)
}

func write(dir string, n, oldN int64) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/log")
	if err != nil {
		die("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		die("%v", err)
	}
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var entries [][]byte
	for i := int64(0); i < n; i++ {
		e := []byte(fmt.Sprintf("vectra-claim/v1\nvcid %064x\nname go%d\nversion 1.%d\nsigner gopher\nsource go:%d\n", i+1, i, i, i))
		entries = append(entries, e)
		hs, err := tlog.StoredHashes(i, e, hr)
		if err != nil {
			die("%v", err)
		}
		stored = append(stored, hs...)
	}
	put := func(rel string, b []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			die("%v", err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			die("%v", err)
		}
	}
	for _, t := range tlog.NewTiles(8, 0, n) {
		data, err := tlog.ReadTileData(t, hr)
		if err != nil {
			die("%v", err)
		}
		put(c2spPath(t), data)
		if t.L == 0 {
			var b bytes.Buffer
			for _, e := range entries[t.N<<8 : t.N<<8+int64(t.W)] {
				b.Write([]byte{byte(len(e) >> 8), byte(len(e))})
				b.Write(e)
			}
			t.L = -1
			put(c2spPath(t), b.Bytes())
		}
	}
	sign := func(size int64) []byte {
		h, err := tlog.TreeHash(size, hr)
		if err != nil {
			die("%v", err)
		}
		msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("go.example/log\n%d\n%s\n", size, h)}, signer)
		if err != nil {
			die("%v", err)
		}
		return msg
	}
	cp := sign(n)
	put("checkpoint", cp)
	put("checkpoint.old", sign(oldN))
	put("log.vkey", []byte(vkey+"\n"))

	idx := n / 2
	rp, err := tlog.ProveRecord(n, idx, hr)
	if err != nil {
		die("%v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "c2sp.org/tlog-proof@v1\nextra %s\nindex %d\n", base64.StdEncoding.EncodeToString(entries[idx]), idx)
	for _, h := range rp {
		fmt.Fprintf(&b, "%s\n", h)
	}
	b.WriteString("\n")
	b.Write(cp)
	put("proof", []byte(b.String()))

	tp, err := tlog.ProveTree(n, oldN, hr)
	if err != nil {
		die("%v", err)
	}
	b.Reset()
	fmt.Fprintf(&b, "old %d\n", oldN)
	for _, h := range tp {
		fmt.Fprintf(&b, "%s\n", h)
	}
	put("cons", []byte(b.String()))
	fmt.Printf("wrote %d entries to %s\n", n, dir)
}

func main() {
	a := os.Args
	switch {
	case len(a) == 7 && a[1] == "check":
		check(a[2], a[3], a[4], a[5], a[6])
	case len(a) == 5 && a[1] == "write":
		n, err1 := strconv.ParseInt(a[3], 10, 64)
		old, err2 := strconv.ParseInt(a[4], 10, 64)
		if err1 != nil || err2 != nil || old < 1 || old > n {
			die("write DIR N OLDN: bad sizes")
		}
		write(a[2], n, old)
	case len(a) == 4 && a[1] == "sign":
		signer, err := note.NewSigner(strings.TrimSpace(string(readFile(a[2]))))
		if err != nil {
			die("key file: %v", err)
		}
		text, _, ok := strings.Cut(string(readFile(a[3])), "\n\n")
		if !ok {
			die("note: no blank line")
		}
		msg, err := note.Sign(&note.Note{Text: text + "\n"}, signer)
		if err != nil {
			die("sign: %v", err)
		}
		os.Stdout.Write(msg)
	default:
		die("usage: interop check DIR VKEY PROOF CONS OLDCHECKPOINT | write DIR N OLDN | sign KEYFILE NOTE")
	}
}
