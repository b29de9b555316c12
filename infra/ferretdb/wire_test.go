package main

import (
	"encoding/binary"
	"testing"
)

// A tiny BSON writer for the tests: strings, documents and arrays are all they need.
type field struct {
	key   string
	value any
}

func doc(fields ...field) []byte {
	var body []byte
	for _, f := range fields {
		switch v := f.value.(type) {
		case string:
			body = append(body, 0x02)
			body = append(body, f.key...)
			body = append(body, 0)
			body = binary.LittleEndian.AppendUint32(body, uint32(len(v)+1))
			body = append(body, v...)
			body = append(body, 0)
		case int32:
			body = append(body, 0x10)
			body = append(body, f.key...)
			body = append(body, 0)
			body = binary.LittleEndian.AppendUint32(body, uint32(v))
		case []byte: // a document
			body = append(body, 0x03)
			body = append(body, f.key...)
			body = append(body, 0)
			body = append(body, v...)
		case [][]byte: // an array of documents
			items := make([]field, len(v))
			for i, d := range v {
				items[i] = field{string(rune('0' + i)), d}
			}
			body = append(body, 0x04)
			body = append(body, f.key...)
			body = append(body, 0)
			body = append(body, doc(items...)...)
		}
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(body)+5))
	return append(append(out, body...), 0)
}

// opMsgOf frames a body and optional document sequences as an OP_MSG.
func opMsgOf(body []byte, seqName string, seq ...[]byte) message {
	m := make([]byte, headerLen+4)
	m = append(m, 0)
	m = append(m, body...)
	if seqName != "" {
		var s []byte
		s = append(s, seqName...)
		s = append(s, 0)
		for _, d := range seq {
			s = append(s, d...)
		}
		m = append(m, 1)
		m = binary.LittleEndian.AppendUint32(m, uint32(len(s)+4))
		m = append(m, s...)
	}
	binary.LittleEndian.PutUint32(m, uint32(len(m)))
	binary.LittleEndian.PutUint32(m[12:], opMsg)
	return m
}

func TestCommandAndPinnedIDs(t *testing.T) {
	q := func(id any) []byte { return doc(field{"q", doc(field{"_id", id}, field{"x", "y"})}) }
	inBody := opMsgOf(doc(field{"update", "profiles"}, field{"updates", [][]byte{q("b"), q("a"), q("b")}}, field{"$db", "rota"}), "")
	cmd := parseCommand(inBody)
	if cmd != (command{"update", "profiles", "rota"}) {
		t.Fatalf("command %+v", cmd)
	}
	ids, ok := pinnedIDs(inBody, cmd)
	if !ok || len(ids) != 2 { // "a" and "b", the repeated "b" once
		t.Fatalf("ids %q %v", ids, ok)
	}

	inSequence := opMsgOf(doc(field{"delete", "events"}, field{"$db", "rota"}), "deletes", q("a"), q(int32(7)))
	if ids, ok := pinnedIDs(inSequence, parseCommand(inSequence)); !ok || len(ids) != 2 {
		t.Fatalf("sequence ids %q %v", ids, ok)
	}

	operator := opMsgOf(doc(field{"update", "p"}, field{"updates", [][]byte{q(doc(field{"$in", "x"}))}}, field{"$db", "d"}), "")
	if _, ok := pinnedIDs(operator, parseCommand(operator)); ok {
		t.Fatal("an $in filter pins no single _id")
	}
	noID := opMsgOf(doc(field{"update", "p"}, field{"updates", [][]byte{doc(field{"q", doc(field{"appId", "a"})})}}, field{"$db", "d"}), "")
	if _, ok := pinnedIDs(noID, parseCommand(noID)); ok {
		t.Fatal("a filter without _id pins nothing")
	}

	fam := opMsgOf(doc(field{"findAndModify", "p"}, field{"query", doc(field{"_id", "k"})}, field{"$db", "d"}), "")
	if ids, ok := pinnedIDs(fam, parseCommand(fam)); !ok || len(ids) != 1 {
		t.Fatalf("findAndModify ids %q %v", ids, ok)
	}

	insert := opMsgOf(doc(field{"insert", "p"}, field{"$db", "d"}), "documents", doc(field{"_id", "z"}), doc(field{"_id", "y"}), doc(field{"v", "no id"}))
	if ids, ok := pinnedIDs(insert, parseCommand(insert)); !ok || len(ids) != 2 {
		t.Fatalf("insert ids %q %v", ids, ok)
	}
}

func TestMalformedMessagesAreNotCommands(t *testing.T) {
	good := opMsgOf(doc(field{"insert", "p"}, field{"$db", "d"}), "")
	for cut := headerLen; cut < len(good); cut++ {
		m := append(message(nil), good[:cut]...)
		binary.LittleEndian.PutUint32(m, uint32(len(m)))
		_ = parseCommand(m) // must not panic
	}
	bad := append(message(nil), good...)
	binary.LittleEndian.PutUint32(bad[headerLen+5:], 9999) // body size past the end
	if c := parseCommand(bad); c.name != "" {
		t.Fatalf("parsed %+v from a broken body", c)
	}
}
