package main

// FerretDB's SQLite backend creates each collection's `_id` index on the expression
// `_ferretdb_sjson->"_id"` but filters on `_ferretdb_sjson->'$._id'`; SQLite matches index
// expressions literally, so every `_id` lookup, update and delete scans the whole table.
// idIndexes adds an index on exactly the queried expression to every collection's table:
// those existing at start, and each new one after the first write command that names it.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// idExpression must stay the very text of FerretDB's `_id` predicate (metadata.IDColumn).
const idExpression = `_ferretdb_sjson->'$._id'`

type idIndexes struct {
	dir string
	log *slog.Logger

	mu    sync.Mutex
	dbs   map[string]*sql.DB
	known map[string]bool // "db\x00collection" whose table has the index
}

func newIDIndexes(dir string, log *slog.Logger) *idIndexes {
	return &idIndexes{dir: dir, log: log, dbs: map[string]*sql.DB{}, known: map[string]bool{}}
}

// database opens (once) the SQLite file FerretDB keeps database name in.
func (x *idIndexes) database(name string) (*sql.DB, error) {
	if db, ok := x.dbs[name]; ok {
		return db, nil
	}
	file := filepath.Join(x.dir, name+".sqlite")
	if _, err := os.Stat(file); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	x.dbs[name] = db
	return db, nil
}

// ensureAll indexes every collection of every database present at start.
func (x *idIndexes) ensureAll(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(x.dir, "*.sqlite"))
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sqlite")
		db, err := x.database(name)
		if err != nil {
			return err
		}
		rows, err := db.QueryContext(ctx, `SELECT name FROM _ferretdb_collections`)
		if err != nil {
			continue // a database file FerretDB has not set up yet
		}
		var collections []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err == nil {
				collections = append(collections, c)
			}
		}
		_ = rows.Close()
		for _, c := range collections {
			if err := x.ensure(ctx, name, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensure creates the index on one collection's table, if the collection exists.
// The caller holds x.mu.
func (x *idIndexes) ensure(ctx context.Context, dbName, collection string) error {
	key := dbName + "\x00" + collection
	if x.known[key] {
		return nil
	}
	db, err := x.database(dbName)
	if err != nil {
		return nil // no such database (yet): nothing to index
	}
	var table string
	err = db.QueryRowContext(ctx, `SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table)
	if err != nil {
		return nil // not created (the command failed, or created nothing)
	}
	q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, table+"__id_rota", table, idExpression)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("index on %s.%s: %w", dbName, collection, err)
	}
	x.known[key] = true
	return nil
}

// afterWrite runs once FerretDB has answered a write command, still under the
// collection's lock: a new collection gets its index, a dropped one is forgotten.
func (x *idIndexes) afterWrite(cmd command) {
	if x == nil {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	switch cmd.name {
	case "drop":
		delete(x.known, cmd.db+"\x00"+cmd.collection)
		return
	case "dropdatabase":
		// FerretDB deletes the file: let go of it, so that a database made again is opened anew.
		if db, ok := x.dbs[cmd.db]; ok {
			_ = db.Close()
			delete(x.dbs, cmd.db)
		}
		for key := range x.known {
			if strings.HasPrefix(key, cmd.db+"\x00") {
				delete(x.known, key)
			}
		}
		return
	}
	if err := x.ensure(context.Background(), cmd.db, cmd.collection); err != nil {
		x.log.Warn("front: _id index", "err", err)
	}
}

// report prints, for every collection of every database in dir, how SQLite plans FerretDB's
// `_id` lookup: one JSON line each, for tests and for an operator's check.
func report(ctx context.Context, dir string, w io.Writer) error {
	x := newIDIndexes(dir, nil)
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sqlite")
		db, err := x.database(name)
		if err != nil {
			return err
		}
		rows, err := db.QueryContext(ctx, `SELECT name, table_name FROM _ferretdb_collections ORDER BY name`)
		if err != nil {
			continue
		}
		type line struct{ Database, Collection, Table, Plan string }
		var lines []line
		for rows.Next() {
			var l line
			if err := rows.Scan(&l.Collection, &l.Table); err == nil {
				l.Database = name
				lines = append(lines, l)
			}
		}
		_ = rows.Close()
		for _, l := range lines {
			q := fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE %s = ?`, l.Table, idExpression)
			var id, parent, unused int
			if err := db.QueryRowContext(ctx, q, `"x"`).Scan(&id, &parent, &unused, &l.Plan); err != nil {
				return err
			}
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		_ = db.Close()
	}
	return nil
}
