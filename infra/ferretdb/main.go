// Command ferretdb runs FerretDB 1.24 (MongoDB wire protocol over SQLite) for Rota's
// development and test stack, behind a front that makes it behave like MongoDB where
// Rota relies on it: single-document writes are atomic (front.go) and `_id` lookups are
// answered from an index (idindex.go).
//
// It uses FerretDB's embeddable package because the module's own command refuses to start
// when built outside FerretDB's repository (it expects a generated version file).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("sqlite-dir", "", "directory holding the SQLite databases (created if missing)")
	level := flag.String("log-level", "warn", "debug, info, warn or error")
	// WAL with synchronous=NORMAL survives a crash of any process; only a power cut may lose
	// the last commits. FULL (SQLite's default) costs an fsync per write, about 9 ms here.
	synchronous := flag.String("sqlite-synchronous", "normal", "SQLite synchronous pragma: off, normal or full")
	// Off only to measure or show what plain FerretDB does (bench/, the atomicity test).
	atomic := flag.Bool("atomic-writes", true, "serialise write commands per collection, so single-document writes are atomic")
	idIndex := flag.Bool("id-index", true, "keep an index on the expression FerretDB's _id lookups filter on")
	reportOnly := flag.Bool("report-id-index", false, "print how SQLite plans the _id lookup of every collection in --sqlite-dir, then exit")
	flag.Parse()

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb: --sqlite-dir is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fail("%v", err)
	}
	if *reportOnly {
		if err := report(context.Background(), *dir, os.Stdout); err != nil {
			fail("%v", err)
		}
		return
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: bad --log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	inner := *listen
	if *atomic {
		inner = "127.0.0.1:0" // FerretDB itself, reached only through the front
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: inner},
		Logger:   logger,
		Handler:  "sqlite",
		// journal_size_limit: SQLite keeps a WAL at its largest size unless told (it grew to ~0.9 GB under load).
		SQLiteURL: "file:" + *dir + "/?_pragma=synchronous(" + *synchronous + ")&_pragma=journal_size_limit(67108864)",
	})
	if err != nil {
		fail("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- f.Run(ctx) }()

	var ids *idIndexes
	if *idIndex {
		ids = newIDIndexes(*dir, logger)
		if err := ids.ensureAll(ctx); err != nil {
			fail("%v", err)
		}
	}
	if *atomic {
		u, err := url.Parse(f.MongoDBURI()) // waits until FerretDB listens
		if err != nil {
			fail("%v", err)
		}
		l, err := net.Listen("tcp", *listen)
		if err != nil {
			fail("%v", err)
		}
		go func() {
			if err := newFront(u.Host, ids, logger).serve(ctx, l); err != nil {
				fail("front: %v", err)
			}
		}()
	} else if ids != nil {
		logger.Warn("ferretdb: --id-index without --atomic-writes indexes only the collections present at start")
	}
	if err := <-ran; err != nil {
		fail("%v", err)
	}
}
