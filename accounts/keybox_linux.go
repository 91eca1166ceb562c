//go:build linux

package accounts

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Key boxes are carved out of pages mapped outside the Go heap, locked in
// memory (mlock: never written to swap) and marked MADV_DONTDUMP (left out
// of core dumps). A box is never unmapped (a late reader must not fault),
// only overwritten; a page holds ~40 keys, so a long-running agent that
// unlocks many times keeps a few KiB.
var boxes struct {
	sync.Mutex
	page []byte
}

func newKeyBox(n int) *keyBox {
	boxes.Lock()
	defer boxes.Unlock()
	if n > len(boxes.page) {
		size := max(unix.Getpagesize(), n)
		p, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			return &keyBox{b: make([]byte, n)}
		}
		_ = unix.Mlock(p)                       // RLIMIT_MEMLOCK may refuse: then it is only not dumped
		_ = unix.Madvise(p, unix.MADV_DONTDUMP) // core dumps
		boxes.page = p
	}
	b := boxes.page[:n:n]
	boxes.page = boxes.page[n:]
	return &keyBox{b: b}
}
