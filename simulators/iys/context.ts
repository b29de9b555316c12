/** The parts one İYS simulator is made of, handed to its route modules. */
import type { TokenService } from './auth';
import type { Batches } from './batches';
import type { Faults } from './faults';
import type { ResolvedOptions, SimClock } from './options';
import type { HourlyLimit, PerSecondLimit } from './rateLimits';
import type { ConsentStore } from './store';
import type { ValidationContext } from './validation';
import type { Violations } from './violations';

export interface SimContext {
  opts: ResolvedOptions;
  clock: SimClock;
  tokens: TokenService;
  store: ConsentStore;
  batches: Batches;
  violations: Violations;
  faults: Faults;
  limits: { perSecond: PerSecondLimit; token: HourlyLimit; status: HourlyLimit };
  validation(): ValidationContext;
}
