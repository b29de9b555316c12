/**
 * Rota's changes to FerretDB's own code, applied at build time (nothing of FerretDB is
 * copied into this repo): the module is copied out of Go's module cache into the build's
 * temporary folder, its SQLite backend's two `_id` pushdowns (Query and Explain in
 * internal/backends/sqlite/collection.go) are pointed at
 * `infra/ferretdb/_sqlitepatch/idpushdown.go`, which also pins `_id` in filters that hold
 * more than `_id` and in `_id: {$in: […]}` lists, and the build uses that copy through a
 * `replace` in a temporary go.mod (`-modfile`). Without it every compare-and-set update and
 * every bulk read by ids scans the whole collection.
 *
 * And one fix: FerretDB's `update` command closes each statement's query with a `defer` inside
 * its loop over the statements, so every statement keeps its SQLite connection until the whole
 * command ends. An `update` of 100 statements (one bulk write of 100 updates) then holds all
 * 100 connections of the pool and waits forever for one more; four of 50 at once do the same.
 * The patch closes each statement's query as soon as that statement is done.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ferretDbDir = path.resolve(__dirname, 'ferretdb');
/** The patch's own source: part of the build's cache key. */
export const PUSHDOWN_SOURCE = path.join(ferretDbDir, '_sqlitepatch', 'idpushdown.go');
const MODULE = 'github.com/FerretDB/FerretDB';

/** FerretDB's pushdown block as v1.24.2 writes it (the Explain copy also sets filterPushdown). */
const PUSHDOWN_BLOCK =
  /\tif params\.Filter\.Len\(\) == 1 \{\n\t\tv, _ := params\.Filter\.Get\("_id"\)\n\t\tswitch v\.\(type\) \{\n\t\tcase string, types\.ObjectID:\n(\t\t\tfilterPushdown = true\n)?\t\t\twhereClause = [^\n]+\n\t\t\targs = [^\n]+\n\t\t\}\n\t\}/g;

/** Prepares the patched module in `tmp`; answers the go.mod to build with (`-modfile`). Throws if FerretDB's code is not the expected one. */
export function patchedFerretDbModFile(tmp: string, env: NodeJS.ProcessEnv): string {
  const go = (args: string[]) => execFileSync('go', args, { cwd: ferretDbDir, env: { ...process.env, ...env }, encoding: 'utf8' });
  const info = JSON.parse(go(['list', '-m', '-json', MODULE])) as { Dir?: string };
  if (!info.Dir) throw new Error(`go list did not name the ${MODULE} module directory (is it downloaded?)`);
  const src = path.join(tmp, 'ferretdb-src');
  cpSync(info.Dir, src, { recursive: true });
  chmodSync(src, 0o755);
  const pkg = path.join(src, 'internal', 'backends', 'sqlite');
  chmodSync(pkg, 0o755);
  const file = path.join(pkg, 'collection.go');
  let found = 0;
  const patched = readFileSync(file, 'utf8').replace(PUSHDOWN_BLOCK, (_all, explain: string | undefined) => {
    found++;
    return `\tif w, a, ok := rotaIDWhere(params.Filter); ok {\n${explain ?? ''}\t\twhereClause, args = w, a\n\t}`;
  });
  if (found !== 2) throw new Error(`FerretDB's sqlite collection.go has ${found} _id pushdown blocks, not the 2 Rota's patch expects`);
  chmodSync(file, 0o644);
  writeFileSync(file, patched);
  copyFileSync(PUSHDOWN_SOURCE, path.join(pkg, 'rota_idpushdown.go'));
  patchUpdateCloser(path.join(src, 'internal', 'handler'));

  const modFile = path.join(tmp, 'go.mod');
  copyFileSync(path.join(ferretDbDir, 'go.mod'), modFile);
  copyFileSync(path.join(ferretDbDir, 'go.sum'), path.join(tmp, 'go.sum'));
  go(['mod', 'edit', `-modfile=${modFile}`, `-replace=${MODULE}=${src}`]);
  return modFile;
}

/** The statement loop of FerretDB's msg_update.go as v1.24.2 writes it: the query's closer deferred to the command's end. */
const UPDATE_DEFERRED_CLOSE = '\t\tcloser := iterator.NewMultiCloser()\n\t\tdefer closer.Close()\n';
const UPDATE_STATEMENT = '\t\tresult, err := common.UpdateDocument(ctx, c, "update", iter, &u)\n';

/** Closes each update statement's query when the statement is done (see the file's comment). */
function patchUpdateCloser(handlerDir: string): void {
  const file = path.join(handlerDir, 'msg_update.go');
  const source = readFileSync(file, 'utf8');
  if (source.split(UPDATE_DEFERRED_CLOSE).length !== 2 || source.split(UPDATE_STATEMENT).length !== 2) {
    throw new Error("FerretDB's msg_update.go is not the one Rota's patch expects (one deferred closer and one UpdateDocument call in the statement loop)");
  }
  chmodSync(handlerDir, 0o755);
  chmodSync(file, 0o644);
  writeFileSync(file, source.replace(UPDATE_DEFERRED_CLOSE, '\t\tcloser := iterator.NewMultiCloser()\n').replace(UPDATE_STATEMENT, `${UPDATE_STATEMENT}\t\tcloser.Close()\n`));
}
