// Runs before `npm run dev` and `npm test`: installs the npm dependencies when node_modules
// is missing or older than package-lock.json, so each of those is the one command a fresh
// machine needs. Plain Node with no imports beyond built-ins: it runs before any install.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  // `npm install`, not `npm ci`: it installs the locked versions all the same, and it does not
  // refuse a lock file that lacks other platforms' optional packages (which registries
  // limited to this platform cannot resolve).
  console.log('rota: installing npm dependencies…');
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
}
