import type { MicroUsd } from '@briefcase/core';
import { quoteForMessage } from './display.js';

/** What risk scoring looks at: this call and the history of earlier calls of the same tool. */
export interface RiskInput {
  tool: { name: string; costMicroUsd: MicroUsd };
  /** Size of this call's arguments (canonical JSON, bytes). */
  argsBytes: number;
  /** Cost of this call. */
  costMicroUsd: MicroUsd;
  history: {
    previousCalls: number;
    /** Median argument size of earlier calls; `null` when there are none. */
    medianArgsBytes: number | null;
    /** Highest cost of an earlier call; `null` when there are none. */
    maxCostMicroUsd: MicroUsd | null;
  };
}

/** One risk signal that fired. */
export interface RiskSignal {
  /** `first_use`, `large_args` or `cost_spike`; reasons use `risk:<id>`. */
  id: string;
  points: number;
  message: string;
}

/** The sum of the points of the signals that fired, and the signals themselves. */
export interface RiskScore {
  score: number;
  signals: RiskSignal[];
}

/** Thresholds and points of the risk rules. Points must be non-negative integers: risk only tightens. */
export interface RiskRules {
  /** Fires on the first call of a tool (`previousCalls === 0`). */
  firstUse: { points: number };
  /** Fires when `argsBytes > max(minBytes, medianMultiplier × medianArgsBytes)`. */
  largeArgs: { points: number; minBytes: number; medianMultiplier: number };
  /** Fires when the cost is positive and above `multiplier ×` the highest earlier cost. */
  costSpike: { points: number; multiplier: number };
}

/** The default rules, as data. */
export const DEFAULT_RISK_RULES: RiskRules = Object.freeze({
  firstUse: Object.freeze({ points: 30 }),
  largeArgs: Object.freeze({ points: 40, minBytes: 4096, medianMultiplier: 8 }),
  costSpike: Object.freeze({ points: 60, multiplier: 10 }),
});

/**
 * Score at or above which a call needs approval by default. The first use of a tool alone (30)
 * stays below it; a first use with large arguments (70) or a cost spike (60) does not.
 */
export const DEFAULT_RISK_THRESHOLD = 60;

function checkPoints(name: string, points: number): number {
  if (!Number.isSafeInteger(points) || points < 0) {
    throw new RangeError(`risk rule ${name}: points must be a non-negative integer, got ${points}`);
  }
  return points;
}

function checkFactor(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`risk rule ${name}: thresholds must be non-negative numbers, got ${value}`);
  }
  return value;
}

/** A measurement the rules can compare; anything else makes its rule fire (fail closed). */
function isMeasure(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Scores how unusual a call is compared with the tool's history. Pure. Invalid measurements in
 * `input` make the affected rule fire rather than stay silent. Throws RangeError only for invalid
 * `rules` (negative or fractional points, negative thresholds): a configuration mistake.
 */
export function scoreRisk(input: RiskInput, rules: RiskRules = DEFAULT_RISK_RULES): RiskScore {
  const firstUsePoints = checkPoints('first_use', rules.firstUse.points);
  const largeArgsPoints = checkPoints('large_args', rules.largeArgs.points);
  const minBytes = checkFactor('large_args', rules.largeArgs.minBytes);
  const medianMultiplier = checkFactor('large_args', rules.largeArgs.medianMultiplier);
  const costSpikePoints = checkPoints('cost_spike', rules.costSpike.points);
  const costMultiplier = checkFactor('cost_spike', rules.costSpike.multiplier);

  const signals: RiskSignal[] = [];
  const { history } = input;

  const previousCalls = history.previousCalls;
  if (!isMeasure(previousCalls) || previousCalls === 0) {
    signals.push({
      id: 'first_use',
      points: firstUsePoints,
      message: `first call of tool ${quoteForMessage(String(input.tool.name))}`,
    });
  }

  const median = isMeasure(history.medianArgsBytes) ? history.medianArgsBytes : 0;
  const argsLimit = Math.max(minBytes, medianMultiplier * median);
  if (!isMeasure(input.argsBytes) || input.argsBytes > argsLimit) {
    signals.push({
      id: 'large_args',
      points: largeArgsPoints,
      message: `arguments are ${input.argsBytes} bytes, above the usual limit of ${Math.round(argsLimit)} bytes for this tool`,
    });
  }

  const maxCost = history.maxCostMicroUsd;
  const cost = input.costMicroUsd;
  const invalidCost = !isMeasure(cost) || (maxCost !== null && !isMeasure(maxCost));
  if (invalidCost || (maxCost !== null && cost > 0 && cost > costMultiplier * maxCost)) {
    signals.push({
      id: 'cost_spike',
      points: costSpikePoints,
      message: `costs ${cost} micro-USD, more than ${costMultiplier}× the highest earlier cost (${maxCost} micro-USD)`,
    });
  }

  return { score: signals.reduce((sum, s) => sum + s.points, 0), signals };
}
