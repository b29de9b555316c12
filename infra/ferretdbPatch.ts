/**
 * Rota's one change to FerretDB's own code, applied at build time (nothing of FerretDB is
 * copied into this repo): the module is copied out of Go's module cache into the build's
 * temporary folder, its SQLite backend's two `_id` pushdowns (Query and Explain in
 * internal/backends/sqlite/collection.go) are pointed at
 * `infra/ferretdb/_sqlitepatch/idpushdown.go`, which also pins `_id` in filters that hold
 * more than `_id` and in `_id: {$in: […]}` lists, and the build uses that copy through a
 * `replace` in a temporary go.mod (`-modfile`). Without it every compare-and-set update and
 * every bulk read by ids scans the whole collection.
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

  const modFile = path.join(tmp, 'go.mod');
  copyFileSync(path.join(ferretDbDir, 'go.mod'), modFile);
  copyFileSync(path.join(ferretDbDir, 'go.sum'), path.join(tmp, 'go.sum'));
  go(['mod', 'edit', `-modfile=${modFile}`, `-replace=${MODULE}=${src}`]);
  return modFile;
}
