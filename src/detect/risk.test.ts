import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineRisk, escalation, identityModulation, RISK_DEFAULTS, sineModulation, validateRiskConfig, type RiskConfig } from './risk.js';

const SINE: RiskConfig = { ...RISK_DEFAULTS, modulation: 'sine' };
const IDENTITY: RiskConfig = { ...RISK_DEFAULTS, modulation: 'identity' };
const unit = fc.double({ min: 0, max: 1, noNaN: true });
const rec = fc.double({ min: 0, max: 1e6, noNaN: true });
const configs = fc.record({
  alpha: unit,
  modulation: fc.constantFrom('sine' as const, 'identity' as const),
  escalationMax: unit,
  escalationScale: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
  exposureGain: unit,
});

describe('sineModulation', () => {
  it('matches sin²(π·r/2) at hand-computed points', () => {
    expect(sineModulation(0)).toBe(0);
    expect(sineModulation(1)).toBe(1);
    expect(sineModulation(0.5)).toBeCloseTo(0.5, 15); // sin²(π/4) = 1/2
    expect(sineModulation(1 / 3)).toBeCloseTo(0.25, 15); // sin²(π/6) = 1/4
    expect(sineModulation(2 / 3)).toBeCloseTo(0.75, 15); // sin²(π/3) = 3/4
    expect(sineModulation(0.4)).toBeCloseTo(0.3454915028, 9); // sin²(36°)
  });

  it('is monotone, pushes values below 1/2 down and above 1/2 up, and is symmetric about (1/2, 1/2)', () => {
    fc.assert(
      fc.property(unit, unit, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(sineModulation(lo)).toBeLessThanOrEqual(sineModulation(hi));
        const m = sineModulation(a);
        expect(m).toBeGreaterThanOrEqual(0);
        expect(m).toBeLessThanOrEqual(1);
        if (a > 1e-9 && a < 0.5 - 1e-9) expect(m).toBeLessThan(a);
        if (a > 0.5 + 1e-9 && a < 1 - 1e-9) expect(m).toBeGreaterThan(a);
        expect(sineModulation(1 - a)).toBeCloseTo(1 - m, 12);
      }),
    );
  });

  it('rejects inputs outside [0, 1]', () => {
    for (const bad of [-0.01, 1.01, Number.NaN, Infinity]) {
      expect(() => sineModulation(bad)).toThrow(RangeError);
      expect(() => identityModulation(bad)).toThrow(RangeError);
    }
    expect(identityModulation(0.37)).toBe(0.37);
  });
});

describe('escalation', () => {
  it('is escalationMax · (1 − e^(−n/scale)) at hand-computed points', () => {
    expect(escalation(0)).toBe(0);
    expect(escalation(4)).toBeCloseTo(0.4 * (1 - 0.36787944117144233), 15); // 1 − 1/e of the max at the scale
    expect(escalation(4)).toBeCloseTo(0.2528482235, 9);
    expect(escalation(8)).toBeCloseTo(0.3458658867, 9); // 0.4 · (1 − e^−2)
    expect(escalation(2, { escalationMax: 1, escalationScale: 2 })).toBeCloseTo(0.6321205588, 9);
  });

  it('is non-decreasing, starts at 0 and stays within [0, escalationMax]', () => {
    fc.assert(
      fc.property(configs, rec, rec, (cfg, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(escalation(lo, cfg)).toBeLessThanOrEqual(escalation(hi, cfg));
        expect(escalation(0, cfg)).toBe(0);
        expect(escalation(hi, cfg)).toBeLessThanOrEqual(cfg.escalationMax);
      }),
    );
  });

  it('rejects negative or non-finite recurrence', () => {
    for (const bad of [-1, Number.NaN, Infinity]) expect(() => escalation(bad)).toThrow(RangeError);
  });
});

describe('combineRisk', () => {
  it('computes α·ml + (1 − α)·m(rule) + escalation by hand', () => {
    expect(combineRisk({ ml: 0.8, rule: 0.6, recurrence: 0 }, IDENTITY)).toBeCloseTo(0.7, 15); // 0.4 + 0.3
    expect(combineRisk({ ml: 0.8, rule: 1 / 3, recurrence: 0 }, SINE)).toBeCloseTo(0.525, 15); // 0.4 + 0.5·0.25
    // + 0.4·(1 − 1/e) at recurrence 4
    expect(combineRisk({ ml: 0.8, rule: 1 / 3, recurrence: 4 }, SINE)).toBeCloseTo(0.7778482235, 9);
    expect(combineRisk({ ml: 0.2, rule: 0.9, recurrence: 0 }, { ...IDENTITY, alpha: 0.25 })).toBeCloseTo(0.05 + 0.675, 15);
  });

  it('gives the rule the whole weight when no ML model applies (ml null)', () => {
    expect(combineRisk({ ml: null, rule: 0.45, recurrence: 0 }, { ...IDENTITY, alpha: 1 })).toBeCloseTo(0.45, 15);
    expect(combineRisk({ ml: null, rule: 2 / 3, recurrence: 0 }, SINE)).toBeCloseTo(0.75, 15);
    // With the defaults (sine): a rule hit of 0.45 is sin²(0.225π) = 0.42178276748; with 4 recurrences
    // 0.4·(1 − e^−1) = 0.25284822353 is added (Medium), with 6 recurrences 0.4·(1 − e^−1.5) = 0.31074793594 (High).
    const r4 = combineRisk({ ml: null, rule: 0.45, recurrence: 4 });
    expect(r4).toBeCloseTo(0.42178276748 + 0.25284822353, 9);
    expect(r4).toBeLessThan(0.7);
    expect(combineRisk({ ml: null, rule: 0.45, recurrence: 6 })).toBeCloseTo(0.42178276748 + 0.31074793594, 9);
    expect(combineRisk({ ml: null, rule: 0.45, recurrence: 6 })).toBeGreaterThanOrEqual(0.7);
  });

  it('clamps to 1', () => {
    expect(combineRisk({ ml: 1, rule: 1, recurrence: 100 })).toBe(1);
    expect(combineRisk({ ml: 0.9, rule: 0.95, recurrence: 50 }, SINE)).toBe(1);
  });

  it('stays in [0, 1] and is non-decreasing in ml, rule and recurrence', () => {
    fc.assert(
      fc.property(configs, fc.option(unit, { nil: null }), unit, rec, unit, unit, rec, (cfg, ml, rule, n, dMl, dRule, dN) => {
        const base = combineRisk({ ml, rule, recurrence: n }, cfg);
        expect(base).toBeGreaterThanOrEqual(0);
        expect(base).toBeLessThanOrEqual(1);
        const eps = 1e-12;
        if (ml !== null) expect(combineRisk({ ml: ml + (1 - ml) * dMl, rule, recurrence: n }, cfg)).toBeGreaterThanOrEqual(base - eps);
        expect(combineRisk({ ml, rule: rule + (1 - rule) * dRule, recurrence: n }, cfg)).toBeGreaterThanOrEqual(base - eps);
        expect(combineRisk({ ml, rule, recurrence: n + dN }, cfg)).toBeGreaterThanOrEqual(base - eps);
      }),
    );
  });

  it('rejects out-of-range parts', () => {
    expect(() => combineRisk({ ml: 1.5, rule: 0.5, recurrence: 0 })).toThrow(RangeError);
    expect(() => combineRisk({ ml: Number.NaN, rule: 0.5, recurrence: 0 })).toThrow(RangeError);
    expect(() => combineRisk({ ml: null, rule: -0.1, recurrence: 0 })).toThrow(RangeError);
    expect(() => combineRisk({ ml: null, rule: 0.5, recurrence: -1 })).toThrow(RangeError);
  });
});

describe('validateRiskConfig', () => {
  it('accepts the defaults and returns the config', () => {
    expect(validateRiskConfig(RISK_DEFAULTS)).toBe(RISK_DEFAULTS);
    expect(RISK_DEFAULTS).toEqual({ alpha: 0.5, modulation: 'sine', escalationMax: 0.4, escalationScale: 4, exposureGain: 0.5 });
  });

  it.each([
    ['alpha < 0', { alpha: -0.1 }],
    ['alpha > 1', { alpha: 1.1 }],
    ['alpha NaN', { alpha: Number.NaN }],
    ['unknown modulation', { modulation: 'quantum' as unknown as 'sine' }],
    ['escalationMax > 1', { escalationMax: 1.5 }],
    ['escalationMax < 0', { escalationMax: -0.5 }],
    ['escalationScale 0', { escalationScale: 0 }],
    ['escalationScale Infinity', { escalationScale: Infinity }],
    ['exposureGain > 1', { exposureGain: 1.01 }],
    ['exposureGain NaN', { exposureGain: Number.NaN }],
  ])('throws RangeError for %s, also through combineRisk', (_name, patch) => {
    const cfg = { ...RISK_DEFAULTS, ...patch } as RiskConfig;
    expect(() => validateRiskConfig(cfg)).toThrow(RangeError);
    expect(() => combineRisk({ ml: 0.5, rule: 0.5, recurrence: 1 }, cfg)).toThrow(RangeError);
  });
});

describe('combineRisk: exposure of the target host', () => {
  it('scales the blend by 1 + exposureGain·exposure (hand-computed, identity modulation, no ML)', () => {
    const cfg: RiskConfig = { ...IDENTITY, exposureGain: 0.5 };
    expect(combineRisk({ ml: null, rule: 0.5, recurrence: 0, exposure: 1 }, cfg)).toBeCloseTo(0.75, 15);
    expect(combineRisk({ ml: null, rule: 0.05, recurrence: 0, exposure: 1 }, cfg)).toBeCloseTo(0.075, 15);
    expect(combineRisk({ ml: null, rule: 0.5, recurrence: 0, exposure: 0.2 }, cfg)).toBeCloseTo(0.55, 15);
    // Absent exposure equals exposure 0.
    expect(combineRisk({ ml: null, rule: 0.5, recurrence: 0 }, cfg)).toBe(combineRisk({ ml: null, rule: 0.5, recurrence: 0, exposure: 0 }, cfg));
  });

  it('is non-decreasing in exposure and stays in [0, 1]', () => {
    fc.assert(
      fc.property(configs, unit, unit, rec, unit, unit, (cfg, rule, ml, recurrence, e1, e2) => {
        const [lo, hi] = e1 <= e2 ? [e1, e2] : [e2, e1];
        const a = combineRisk({ ml, rule, recurrence, exposure: lo }, cfg);
        const b = combineRisk({ ml, rule, recurrence, exposure: hi }, cfg);
        return a <= b && a >= 0 && b <= 1;
      }),
    );
  });

  it('rejects an exposure outside [0, 1]', () => {
    expect(() => combineRisk({ ml: null, rule: 0.5, recurrence: 0, exposure: 1.5 })).toThrow(RangeError);
    expect(() => combineRisk({ ml: null, rule: 0.5, recurrence: 0, exposure: Number.NaN })).toThrow(RangeError);
  });
});
