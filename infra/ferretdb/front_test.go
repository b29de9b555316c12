package main

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"
)

// upstream stands in for FerretDB: it records the order in which it receives and answers
// writes, and answers client A's write only once client B's has arrived or `hold` passed.
type upstream struct {
	mu     sync.Mutex
	events []string
	bSeen  chan struct{}
}

func (u *upstream) log(e string) {
	u.mu.Lock()
	u.events = append(u.events, e)
	u.mu.Unlock()
}

func (u *upstream) serve(l net.Listener, hold time.Duration) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				m, err := readMessage(c)
				if err != nil {
					return
				}
				who := string(lookup(sectionsBody(m), "comment", 0x02)[4:5])
				u.log(who + " received")
				if who == "B" {
					close(u.bSeen)
				} else {
					select {
					case <-u.bSeen:
					case <-time.After(hold):
					}
				}
				u.log(who + " answered")
				reply := opMsgOf(doc(field{"ok", int32(1)}), "")
				binary.LittleEndian.PutUint32(reply[8:], uint32(m.requestID()))
				_, _ = c.Write(reply)
			}
		}()
	}
}

func sectionsBody(m message) []byte {
	body, _ := sections(m)
	return body
}

func update(who string, requestID int32) message {
	q := doc(field{"q", doc(field{"_id", "tally"})})
	m := opMsgOf(doc(field{"update", "receiptTallies"}, field{"updates", [][]byte{q}}, field{"comment", who}, field{"$db", "rota"}), "")
	binary.LittleEndian.PutUint32(m[4:], uint32(requestID))
	return m
}

// A client that goes away with a write in flight (a killed worker, a driver dropping a
// connection) must not let a second write of the same document reach FerretDB before
// FerretDB has answered the first: FerretDB reads, changes and writes back, so the two
// would overlap and one update would be lost.
func TestWritesOfAClientThatLeftKeepTheirLockUntilAnswered(t *testing.T) {
	ul, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	u := &upstream{bSeen: make(chan struct{})}
	go u.serve(ul, 500*time.Millisecond)

	fl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newFront(ul.Addr().String(), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() { _ = f.serve(t.Context(), fl) }()

	a, err := net.Dial("tcp", fl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write(update("A", 1)); err != nil {
		t.Fatal(err)
	}
	for !u.has("A received") {
		time.Sleep(5 * time.Millisecond)
	}
	_ = a.Close() // gone before FerretDB answered

	b, err := net.Dial("tcp", fl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Write(update("B", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := readMessage(b); err != nil {
		t.Fatal(err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	want := []string{"A received", "A answered", "B received", "B answered"}
	if len(u.events) != len(want) {
		t.Fatalf("events %q, want %q", u.events, want)
	}
	for i := range want {
		if u.events[i] != want[i] {
			t.Fatalf("events %q, want %q", u.events, want)
		}
	}
}

func (u *upstream) has(e string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, x := range u.events {
		if x == e {
			return true
		}
	}
	return false
}
