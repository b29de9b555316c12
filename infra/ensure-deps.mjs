// Runs before `npm run dev` and `npm test`: installs the npm dependencies when node_modules
// is missing or older than package-lock.json, so each of those is the one command a fresh
// machine needs. Plain Node with no imports beyond built-ins: it runs before any install.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  // `npm ci`, as the Dockerfile does: exactly the locked tree, and the lock file is never
  // rewritten as a side effect. It stops with npm's own message when package.json and the
  // lock disagree (run `npm install` to update the lock, and commit it). The lock holds
  // every platform's optional packages (@swc/core-*, @unrs/resolver-binding-*), which
  // npm 11's `npm ci` requires; `npm install --package-lock-only` on a machine whose
  // registry serves them all keeps it that way.
  console.log('rota: installing npm dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}
