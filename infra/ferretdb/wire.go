package main

// The little of the MongoDB wire protocol the front needs: framing messages, and reading
// an OP_MSG command's name, collection and database from its body document.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	opMsg          = 2013
	headerLen      = 16
	maxMessage     = 64 << 20 // MongoDB's limit is 48 MB; a little slack, and a bound against garbage lengths
	flagChecksum   = 1 << 0
	flagMoreToCome = 1 << 1
)

// message is one wire message, header included, as read from a connection.
type message []byte

func (m message) requestID() int32  { return int32(binary.LittleEndian.Uint32(m[4:])) }
func (m message) responseTo() int32 { return int32(binary.LittleEndian.Uint32(m[8:])) }
func (m message) opCode() int32     { return int32(binary.LittleEndian.Uint32(m[12:])) }

// moreToCome says that no reply follows this request (or that more replies follow this one).
func (m message) moreToCome() bool {
	return m.opCode() == opMsg && len(m) >= headerLen+4 && binary.LittleEndian.Uint32(m[headerLen:])&flagMoreToCome != 0
}

func readMessage(r io.Reader) (message, error) {
	var header [headerLen]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(header[:4]))
	if n < headerLen || n > maxMessage {
		return nil, fmt.Errorf("wire message of %d bytes", n)
	}
	m := make(message, n)
	copy(m, header[:])
	if _, err := io.ReadFull(r, m[headerLen:]); err != nil {
		return nil, err
	}
	return m, nil
}

// command is what the front knows of a request: its name (lower case), the collection
// it names and its database. Empty for anything but an OP_MSG with a body.
type command struct {
	name, collection, db string
}

func parseCommand(m message) command {
	body, _ := sections(m)
	if body == nil {
		return command{}
	}
	return commandOf(body)
}

// commandOf reads the first element (the command name and, for collection commands,
// the collection as a string) and `$db` of a BSON document.
func commandOf(doc []byte) command {
	var c command
	first := true
	_ = walkElements(doc, func(key string, typ byte, value []byte) bool {
		if first {
			first = false
			c.name = strings.ToLower(key)
			if typ == 0x02 {
				c.collection = bsonString(value)
			}
		}
		if key == "$db" && typ == 0x02 {
			c.db = bsonString(value)
		}
		return true
	})
	return c
}

var errBadBSON = errors.New("malformed BSON")

// walkElements calls fn for each top-level element of doc until fn answers false.
func walkElements(doc []byte, fn func(key string, typ byte, value []byte) bool) error {
	if len(doc) < 5 || int(binary.LittleEndian.Uint32(doc)) != len(doc) {
		return errBadBSON
	}
	for i := 4; i < len(doc)-1; {
		typ := doc[i]
		i++
		k := i
		for k < len(doc) && doc[k] != 0 {
			k++
		}
		if k >= len(doc) {
			return errBadBSON
		}
		key := string(doc[i:k])
		i = k + 1
		n, err := valueLen(typ, doc[i:])
		if err != nil || i+n > len(doc) {
			return errBadBSON
		}
		if !fn(key, typ, doc[i:i+n]) {
			return nil
		}
		i += n
	}
	return nil
}

// valueLen is the length of a BSON value of type typ at the start of b.
func valueLen(typ byte, b []byte) (int, error) {
	int32At := func() (int, error) {
		if len(b) < 4 {
			return 0, errBadBSON
		}
		return int(int32(binary.LittleEndian.Uint32(b))), nil
	}
	switch typ {
	case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
		return 8, nil
	case 0x02, 0x0D, 0x0E: // string, code, symbol
		n, err := int32At()
		return 4 + n, err
	case 0x03, 0x04, 0x0F: // document, array, code with scope: the size counts itself
		return int32At()
	case 0x05: // binary
		n, err := int32At()
		return 5 + n, err
	case 0x06, 0x0A, 0xFF, 0x7F: // undefined, null, min key, max key
		return 0, nil
	case 0x07: // ObjectId
		return 12, nil
	case 0x08: // bool
		return 1, nil
	case 0x0B: // regex: two C strings
		zeros := 0
		for i, c := range b {
			if c == 0 {
				zeros++
				if zeros == 2 {
					return i + 1, nil
				}
			}
		}
		return 0, errBadBSON
	case 0x0C: // DBPointer: string + ObjectId
		n, err := int32At()
		return 4 + n + 12, err
	case 0x10: // int32
		return 4, nil
	case 0x13: // decimal128
		return 16, nil
	}
	return 0, errBadBSON
}

// bsonString reads a BSON string value (int32 length with the trailing NUL, bytes, NUL).
func bsonString(v []byte) string {
	if len(v) < 5 {
		return ""
	}
	n := int(binary.LittleEndian.Uint32(v))
	if n < 1 || 4+n > len(v) {
		return ""
	}
	return string(v[4 : 4+n-1])
}

// statementFilters lists the filter documents of a write command's statements: `q` of
// each `updates` / `deletes` entry (in the body or in a document sequence), or the `query`
// of findAndModify. ok is false when the command has none of those or cannot be read.
func statementFilters(m message, cmd command) (filters [][]byte, ok bool) {
	body, sequences := sections(m)
	if body == nil {
		return nil, false
	}
	if cmd.name == "findandmodify" {
		q := lookup(body, "query", 0x03)
		return [][]byte{q}, q != nil
	}
	field := map[string]string{"update": "updates", "delete": "deletes"}[cmd.name]
	if field == "" {
		return nil, false
	}
	statements := sequences[field]
	if arr := lookup(body, field, 0x04); arr != nil {
		_ = walkElements(arr, func(_ string, typ byte, v []byte) bool {
			if typ == 0x03 {
				statements = append(statements, v)
			}
			return true
		})
	}
	for _, s := range statements {
		q := lookup(s, "q", 0x03)
		if q == nil {
			return nil, false
		}
		filters = append(filters, q)
	}
	return filters, len(filters) > 0
}

// idOf answers the `_id` a filter pins, as its BSON type and bytes, when the filter holds
// `_id: <value>` (not an operator expression such as `$in`).
func idOf(filter []byte) (string, bool) {
	var id string
	found := false
	_ = walkElements(filter, func(key string, typ byte, v []byte) bool {
		if key != "_id" {
			return true
		}
		if typ == 0x03 {
			operator := false
			_ = walkElements(v, func(k string, _ byte, _ []byte) bool {
				operator = strings.HasPrefix(k, "$")
				return false
			})
			if operator {
				return false
			}
		}
		id, found = string([]byte{typ})+string(v), true
		return false
	})
	return id, found
}

// sections splits an OP_MSG into its body and its document sequences by identifier.
func sections(m message) (body []byte, sequences map[string][][]byte) {
	if m.opCode() != opMsg || len(m) < headerLen+5 {
		return nil, nil
	}
	end := len(m)
	if binary.LittleEndian.Uint32(m[headerLen:])&flagChecksum != 0 {
		end -= 4
	}
	sequences = map[string][][]byte{}
	for i := headerLen + 4; i < end; {
		kind := m[i]
		i++
		if i+4 > end {
			return nil, nil
		}
		size := int(binary.LittleEndian.Uint32(m[i:]))
		if size < 5 || i+size > end {
			return nil, nil
		}
		if kind == 0 {
			body = m[i : i+size]
		} else {
			seq := m[i+4 : i+size]
			k := 0
			for k < len(seq) && seq[k] != 0 {
				k++
			}
			if k >= len(seq) {
				return nil, nil
			}
			name := string(seq[:k])
			for j := k + 1; j+4 <= len(seq); {
				n := int(binary.LittleEndian.Uint32(seq[j:]))
				if n < 5 || j+n > len(seq) {
					return nil, nil
				}
				sequences[name] = append(sequences[name], seq[j:j+n])
				j += n
			}
		}
		i += size
	}
	return body, sequences
}

// lookup answers the value of a top-level field of type typ, or nil.
func lookup(doc []byte, key string, typ byte) []byte {
	var found []byte
	_ = walkElements(doc, func(k string, t byte, v []byte) bool {
		if k == key && t == typ {
			found = v
			return false
		}
		return true
	})
	return found
}

// insertedIDs answers the `_id`s of an insert's documents (in the body or a document
// sequence); a document without one gets a fresh ObjectId from FerretDB, which nothing
// else can name.
func insertedIDs(m message) []string {
	body, sequences := sections(m)
	docs := sequences["documents"]
	if arr := lookup(body, "documents", 0x04); arr != nil {
		_ = walkElements(arr, func(_ string, typ byte, v []byte) bool {
			if typ == 0x03 {
				docs = append(docs, v)
			}
			return true
		})
	}
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		if id, ok := idOf(d); ok {
			ids = append(ids, id)
		}
	}
	return ids
}
