/** The wire parsing of Rota's FerretDB front (infra/ferretdb/wire_test.go), run with Go when the machine has it (it builds the front). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const hasGo = spawnSync('sh', ['-c', 'command -v go']).status === 0;

(hasGo ? test : test.skip)('go test ./... in infra/ferretdb passes', () => {
  const run = spawnSync('go', ['test', './...'], { cwd: path.join(__dirname, '../../infra/ferretdb'), encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0' } });
  expect(`${run.stdout}${run.stderr}`).toMatch(/^ok\s+rota\.local\/ferretdb/m);
  expect(run.status).toBe(0);
}, 300_000);
