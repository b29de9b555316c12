package main

// The front: a wire-protocol relay between clients and FerretDB that lets one write
// command at a time reach each collection. FerretDB 1.24 applies an update by reading the
// document, changing it in Go and writing it back, with nothing stopping a second update
// of the same document in between, so concurrent updates of one document lose some.
// MongoDB makes every single-document write atomic and Rota relies on it; serialising the
// write commands that may touch the same document gives the same guarantee (see
// collectionLock). Reads stay concurrent.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"sync"
)

// writeCommands name a collection as their first element and change it.
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findandmodify": true,
	"create": true, "createindexes": true, "drop": true, "dropindexes": true, "collmod": true,
}

// collectionLock orders the writes of one collection. A write whose every statement pins
// one `_id` holds the collection shared and that document exclusively, so writes to
// different documents still overlap; an insert is such a write on the `_id`s it inserts
// (so it cannot interleave with an upsert of the same `_id`); any other write (a filter on
// other fields, index and collection commands) holds the whole collection.
type collectionLock struct {
	all  sync.RWMutex
	mu   sync.Mutex
	docs map[string]*docLock
}

type docLock struct {
	sync.Mutex
	users int // goroutines holding or waiting for it; the entry goes at zero
}

func (c *collectionLock) lockDoc(id string) func() {
	c.mu.Lock()
	d, ok := c.docs[id]
	if !ok {
		d = &docLock{}
		c.docs[id] = d
	}
	d.users++
	c.mu.Unlock()
	d.Lock()
	return func() {
		d.Unlock()
		c.mu.Lock()
		if d.users--; d.users == 0 {
			delete(c.docs, id)
		}
		c.mu.Unlock()
	}
}

type collectionLocks struct {
	mu    sync.Mutex
	locks map[string]*collectionLock
}

func (c *collectionLocks) get(db, collection string) *collectionLock {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := db + "\x00" + collection
	l, ok := c.locks[key]
	if !ok {
		l = &collectionLock{docs: map[string]*docLock{}}
		c.locks[key] = l
	}
	return l
}

// acquire takes what the write command m needs and answers how to give it back.
func (c *collectionLocks) acquire(m message, cmd command) func() {
	l := c.get(cmd.db, cmd.collection)
	ids, ok := pinnedIDs(m, cmd)
	if !ok {
		l.all.Lock()
		return l.all.Unlock
	}
	l.all.RLock()
	unlocks := make([]func(), 0, len(ids))
	for _, id := range ids { // sorted, so two writes never wait on each other
		unlocks = append(unlocks, l.lockDoc(id))
	}
	return func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
		l.all.RUnlock()
	}
}

// pinnedIDs answers the sorted distinct `_id`s of a write whose every statement names one.
func pinnedIDs(m message, cmd command) ([]string, bool) {
	if cmd.name == "insert" {
		return sortedSet(insertedIDs(m)), true
	}
	filters, ok := statementFilters(m, cmd)
	if !ok {
		return nil, false
	}
	ids := make([]string, 0, len(filters))
	for _, f := range filters {
		id, ok := idOf(f)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return sortedSet(ids), true
}

func sortedSet(ids []string) []string {
	sort.Strings(ids)
	return slices.Compact(ids)
}

// maxWritesInFlight bounds the write commands FerretDB works on at once. FerretDB 1.24 runs
// an update (findAndModify and delete alike) as a query that keeps its SQLite connection
// while the write takes a second one from the same pool of 100: with a hundred updates in
// flight each held one and waited for another, forever (a goroutine dump of the stalled
// 10 000-recipient crash run: 100 updates in BeginTx, 128 queries waiting for a connection).
// Far fewer slots than connections makes that impossible; SQLite has one writer anyway.
const maxWritesInFlight = 32

type front struct {
	upstream string        // FerretDB's own address
	writes   chan struct{} // a slot per write command FerretDB is working on
	locks    collectionLocks
	ids      *idIndexes
	log      *slog.Logger
}

func newFront(upstream string, ids *idIndexes, log *slog.Logger) *front {
	return &front{upstream: upstream, writes: make(chan struct{}, maxWritesInFlight), locks: collectionLocks{locks: map[string]*collectionLock{}}, ids: ids, log: log}
}

func (f *front) serve(ctx context.Context, l net.Listener) error {
	go func() {
		<-ctx.Done()
		_ = l.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go f.relay(c)
	}
}

// acquireWrite takes the write's locks, then a slot (so a slot is only ever held by a write
// FerretDB can work on, never by one waiting for a document); answers how to give both back.
func (f *front) acquireWrite(m message, cmd command) func() {
	unlock := f.locks.acquire(m, cmd)
	f.writes <- struct{}{}
	return func() {
		<-f.writes
		unlock()
	}
}

// pending is a write command on its way: its lock is held until FerretDB answers it.
type pending struct {
	unlock func()
	after  func()
}

// relay copies messages both ways between one client connection and its own FerretDB
// connection. A write command takes its collection's lock before it is forwarded and
// gives it back when the reply to it (matched by responseTo) comes back. A client that goes
// away (a killed process, a driver closing a timed-out connection) leaves its writes running
// in FerretDB: their locks are kept, and FerretDB's connection open, until FerretDB has
// answered each one, or a second write of the same document would read it before the first
// is written back and one of the two would be lost.
func (f *front) relay(client net.Conn) {
	server, err := net.Dial("tcp", f.upstream)
	if err != nil {
		f.log.Error("front: cannot reach FerretDB", "err", err)
		_ = client.Close()
		return
	}
	var mu sync.Mutex
	inFlight := map[int32]pending{}
	clientGone := false // under mu: nothing more is read from the client nor written to it
	releaseAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for id, p := range inFlight {
			p.unlock()
			delete(inFlight, id)
		}
	}
	// leave marks the client gone and answers how many of its writes FerretDB has still to answer.
	leave := func() int {
		mu.Lock()
		defer mu.Unlock()
		clientGone = true
		return len(inFlight)
	}

	done := make(chan struct{})
	go func() { // FerretDB → client, until FerretDB closes or the client is gone with every write answered
		defer close(done)
		defer func() {
			_ = client.Close()
			_ = server.Close()
		}()
		for {
			m, err := readMessage(server)
			if err != nil {
				return
			}
			mu.Lock()
			p, ok := inFlight[m.responseTo()]
			if ok && !m.moreToCome() {
				delete(inFlight, m.responseTo())
			}
			gone, drained := clientGone, clientGone && len(inFlight) == 0
			mu.Unlock()
			if ok && !m.moreToCome() {
				p.after()
				p.unlock()
			}
			if !gone {
				if _, err := client.Write(m); err != nil {
					_ = client.Close() // the client loop stops reading too
					drained = leave() == 0
				}
			}
			if drained {
				return
			}
		}
	}()

	for { // client → FerretDB
		m, err := readMessage(client)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				f.log.Debug("front: client read", "err", err)
			}
			break
		}
		cmd := parseCommand(m)
		if (writeCommands[cmd.name] && cmd.collection != "") || cmd.name == "dropdatabase" {
			p := pending{unlock: f.acquireWrite(m, cmd), after: func() { f.ids.afterWrite(cmd) }}
			if m.moreToCome() {
				// No reply will come (an unacknowledged write): hold the lock only while sending.
				_, err = server.Write(m)
				p.after()
				p.unlock()
			} else {
				mu.Lock()
				gone := clientGone
				if !gone {
					inFlight[m.requestID()] = p
				}
				mu.Unlock()
				if gone { // the reply could no longer reach the client: the write is not sent
					p.unlock()
					break
				}
				_, err = server.Write(m)
			}
		} else {
			_, err = server.Write(m)
		}
		if err != nil {
			_ = server.Close() // a write cut short: FerretDB cannot answer it
			break
		}
	}
	_ = client.Close()
	if n := leave(); n == 0 {
		_ = server.Close()
	} else {
		f.log.Warn("front: a client left with writes FerretDB is still applying; their documents stay locked until it answers", "writes", n)
	}
	<-done
	releaseAll() // FerretDB closed with writes unanswered: nothing will answer them now
}
