// Compiled into FerretDB's SQLite backend (package sqlite) by Rota's build, in a patched copy
// of the module (infra/ferretdbPatch.ts); the leading `_` keeps it out of this module's build.
//
// FerretDB 1.24 pushes a filter down to SQLite only when it is exactly `{_id: <string|ObjectId>}`;
// any other filter reads the whole table and is matched in Go. MongoDB answers a filter that
// pins `_id` from its index whatever else it holds, and Rota relies on that for its
// compare-and-set updates (`{_id, state: 'pending', leaseUntil}`) and its bulk reads
// (`{_id: {$in: [...]}}`). FerretDB's handler matches every row it gets against the whole
// filter anyway, so narrowing the rows to the pinned `_id`s never changes an answer.

package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// rotaMaxInList keeps an `IN (…)` under SQLite's limit on bound parameters.
const rotaMaxInList = 30000

// rotaIDWhere answers the WHERE clause for the `_id`s a filter pins at its top level:
// `_id: v`, `_id: {$eq: v}` or `_id: {$in: [v…]}` with every v a string or ObjectId.
func rotaIDWhere(filter *types.Document) (string, []any, bool) {
	if filter == nil || !filter.Has("_id") {
		return "", nil, false
	}
	v := must.NotFail(filter.Get("_id"))
	if rotaPinnable(v) {
		return fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn), []any{rotaKey(v)}, true
	}
	ops, ok := v.(*types.Document)
	if !ok {
		return "", nil, false
	}
	if eq, err := ops.Get("$eq"); err == nil && rotaPinnable(eq) {
		return fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn), []any{rotaKey(eq)}, true
	}
	in, err := ops.Get("$in")
	if err != nil {
		return "", nil, false
	}
	list, ok := in.(*types.Array)
	if !ok || list.Len() == 0 || list.Len() > rotaMaxInList {
		return "", nil, false
	}
	args := make([]any, 0, list.Len())
	for i := 0; i < list.Len(); i++ {
		e := must.NotFail(list.Get(i))
		if !rotaPinnable(e) {
			return "", nil, false
		}
		args = append(args, rotaKey(e))
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, marks), args, true
}

func rotaPinnable(v any) bool {
	switch v.(type) {
	case string, types.ObjectID:
		return true
	}
	return false
}

// rotaKey is the value as FerretDB stores it in the `_id` expression (what its own pushdown binds).
func rotaKey(v any) string {
	return string(must.NotFail(sjson.MarshalSingleValue(v)))
}
