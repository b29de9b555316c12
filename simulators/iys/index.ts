/**
 * İYS simulator: a real HTTP server that answers like the İYS API (v3.2.0) for what a
 * consent integrator uses. Every answer other than success goes through one error
 * middleware, which also counts the client's violations. See options.ts for the settings
 * and testHooks.ts for `/sim/*`.
 */
import express, { type ErrorRequestHandler } from 'express';
import { listen, type SimServer } from '../simServer';
import { TokenService, type TokenStats } from './auth';
import { Batches } from './batches';
import { consentRoutes } from './consentRoutes';
import type { SimContext } from './context';
import { SimHttpError, errorItem } from './errors';
import { Faults, type FaultSpec } from './faults';
import { SimClock, resolveOptions, type IysSimulatorOptions, type IysUser } from './options';
import { HourlyLimit, PerSecondLimit } from './rateLimits';
import { ConsentStore, brandOf, type CitizenAction, type Movement, type StoredConsent } from './store';
import { resetState, testHooks } from './testHooks';
import { Violations, type ViolationsReport } from './violations';

export type { IysSimulatorOptions, IysUser } from './options';
export type { ViolationsReport } from './violations';
export type { FaultSpec } from './faults';

export interface IysSimulator extends SimServer {
  users: IysUser[];
  violations(): ViolationsReport;
  consents(): StoredConsent[];
  movements(): Movement[];
  tokenStats(): TokenStats;
  citizen(action: CitizenAction & { iysCode?: number; brandCode?: number }): StoredConsent;
  injectFault(spec: FaultSpec): void;
  clearFaults(): void;
  advanceClock(ms: number): void;
  reset(): void;
}

const TOKEN_PATH = '/oauth2/token';

export async function startIysSimulator(options: IysSimulatorOptions = {}): Promise<IysSimulator> {
  const opts = resolveOptions(options);
  const clock = new SimClock();
  const store = new ConsentStore(opts, clock);
  const holidays = new Set(opts.holidays);
  const ctx: SimContext = {
    opts, clock, store,
    tokens: new TokenService(opts, clock),
    batches: new Batches(store, clock, () => opts.batchDelayMs),
    violations: new Violations(),
    faults: new Faults(),
    limits: {
      perSecond: new PerSecondLimit(opts.requestsPerSecond),
      token: new HourlyLimit(opts.tokenRequestsPerHour, true),
      status: new HourlyLimit(opts.statusQueriesPerHour),
    },
    validation: () => ({ now: clock.now(), businessDayLimit: opts.businessDayLimit, holidays }),
  };

  const app = express();
  app.use('/sim', express.json({ limit: '5mb' }));
  app.use(testHooks(ctx));

  app.use((req, _res, next) => {
    if (!ctx.limits.perSecond.take(req.ip ?? '')) throw new SimHttpError(429, { errors: [errorItem('H124')] }, { 'Retry-After': '1' });
    next();
  });
  app.post(TOKEN_PATH, (req, _res, next) => {
    if (!ctx.limits.token.take(req.ip ?? '', clock.now())) throw SimHttpError.code('H084');
    next();
  }, ctx.faults.middleware(true), express.json(), express.urlencoded({ extended: false }), (req, res) => {
    res.json(ctx.tokens.grant((req.body ?? {}) as Record<string, unknown>));
  });
  app.use(ctx.faults.middleware(false));
  app.use((_req, _res, next) => {
    ctx.batches.settle();
    next();
  });
  app.use(express.json({ limit: '20mb' }));
  app.use(consentRoutes(ctx, false));
  app.use('/v2', consentRoutes(ctx, true));
  app.use(() => {
    throw new SimHttpError(404, { errors: [{ message: 'Kaynak bulunamadı.' }] });
  });

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    let e: SimHttpError;
    if (err instanceof SimHttpError) e = err;
    else if ((err as { type?: string }).type === 'entity.parse.failed') {
      e = req.path === TOKEN_PATH
        ? new SimHttpError(400, { error: 'invalid_request', error_description: 'İstek gövdesi okunamadı.' })
        : SimHttpError.code('H014');
    } else {
      console.error('iys simulator:', err);
      e = SimHttpError.code('H015');
    }
    ctx.violations.record({ at: new Date().toISOString(), ip: req.ip ?? '', method: req.method, path: req.path, status: e.status, code: e.code });
    res.status(e.status).set(e.headers).json(e.body);
  };
  app.use(onError);

  // Batches also settle on their own, for a simulator nobody is polling.
  const settler = setInterval(() => ctx.batches.settle(), 500);
  settler.unref();
  const server = await listen(app, options.port, options.host);
  const [user] = opts.users;

  return {
    ...server,
    users: opts.users,
    violations: () => ctx.violations.snapshot(),
    consents: () => store.list(),
    movements: () => [...store.movements],
    tokenStats: () => ({ ...ctx.tokens.stats }),
    citizen: ({ iysCode, brandCode, ...action }) => store.citizen(brandOf(iysCode ?? user!.iysCode, brandCode ?? user!.brandCodes[0]!), action),
    injectFault: (spec) => ctx.faults.set(spec),
    clearFaults: () => ctx.faults.clear(),
    advanceClock: (ms) => clock.advance(ms),
    reset: () => resetState(ctx),
    async close() {
      clearInterval(settler);
      ctx.faults.clear();
      await server.close();
    },
  };
}
