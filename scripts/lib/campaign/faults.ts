/**
 * The campaign's faults, one at a time while the load runs, each in a recorded window from the
 * moment it is injected until service is meant to be whole again (the instance answers readiness
 * again, PostgreSQL is back, the Graph faults are cleared). Graph faults are set directly on the
 * in-process local tenant's fault state.
 */
import type { FaultState } from '../../../tenant/types';
import { WINDOW_GRACE_MS, type FaultWindow } from './checks';
import type { ProdStack } from '../prod-stack';

export interface FaultStep {
  name: string;
  /** Injects the fault and resolves once it is over (cleared, or the service restored). */
  run(stack: ProdStack, holdMs: number): Promise<void>;
}

const CALM_BETWEEN_FAULTS_MS = WINDOW_GRACE_MS + 2_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sets `patch` on the tenant's Graph faults for `holdMs` (or until every counter ran out), then clears it. */
function graphFault(name: string, patch: Partial<FaultState>, counted: (keyof FaultState)[] = []): FaultStep {
  return {
    name,
    async run(stack, holdMs) {
      const faults = stack.tenant.ctx.faults;
      const before = { ...faults };
      Object.assign(faults, patch);
      const end = Date.now() + holdMs;
      while (Date.now() < end && (counted.length === 0 || counted.some((k) => (faults[k] as number) > 0))) await pause(100);
      Object.assign(faults, before);
    },
  };
}

/**
 * The campaign's faults, in the order they run; the graceful SIGTERM first, when nothing else has
 * yet left work behind. Instance faults take different instances.
 */
export function faultSteps(instances: number): FaultStep[] {
  const killed = 0;
  const drained = Math.min(1, instances - 1);
  return [
    {
      name: `SIGTERM instance ${drained}, restart`,
      async run(stack) {
        await stack.killInstance(drained, 'SIGTERM');
        await stack.startInstance(drained);
      },
    },
    {
      name: `SIGKILL instance ${killed}, restart`,
      async run(stack) {
        await stack.killInstance(killed, 'SIGKILL');
        await stack.startInstance(killed);
      },
    },
    graphFault('Graph 429 storm (Retry-After 1 s)', { throttleRate: 0.5, throttleNext: 20, retryAfterSeconds: 1 }),
    graphFault('Graph 503 × 20', { unavailableNext: 20, retryAfterSeconds: 1 }, ['unavailableNext']),
    {
      name: 'restart PostgreSQL',
      run: (stack) => stack.restartPostgres(),
    },
    graphFault('Graph connections dropped × 10', { dropNext: 10 }, ['dropNext']),
    graphFault('slow Graph (2000 ms per call)', { latencyMs: 2000 }),
    {
      name: 'balancer failover',
      run: (stack) => stack.failOverBalancer(),
    },
  ];
}

/**
 * Runs `steps` one after another, the k-th no earlier than `startAt + k × spacingMs`, each Graph
 * fault held `holdMs`. Returns the windows; a step that throws ends its window and is reported.
 */
export async function runFaultSchedule(stack: ProdStack, steps: readonly FaultStep[], startAt: number, spacingMs: number, holdMs: number, log: (line: string) => void): Promise<{ windows: FaultWindow[]; errors: string[] }> {
  const windows: FaultWindow[] = [];
  const errors: string[] = [];
  for (const [k, step] of steps.entries()) {
    const due = startAt + k * spacingMs;
    if (Date.now() < due) await pause(due - Date.now());
    const start = Date.now();
    log(`fault: ${step.name} …`);
    try {
      await step.run(stack, holdMs);
    } catch (error) {
      errors.push(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    windows.push({ fault: step.name, start, end: Date.now() });
    log(`fault: ${step.name} over after ${((Date.now() - start) / 1000).toFixed(1)} s`);
    // Calm between faults, longer than a window's grace, so one fault's failures are not another's.
    await pause(CALM_BETWEEN_FAULTS_MS);
  }
  return { windows, errors };
}
