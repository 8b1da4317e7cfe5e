import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EntityState } from '../core/records.js';
import { combineRisk, RISK_DEFAULTS } from './risk.js';
import { THREAT_MEMORY_DEFAULTS, ThreatMemory } from './threat-memory.js';

const obs = (risk: number, tsMs: number, alerted = false) => ({ risk, tsMs, alerted });

describe('ThreatMemory decay, hand-computed (half-life 1 s, ewmaAlpha 0.2)', () => {
  it('decays recurrence by 2^(−Δt/halfLife) and adds 1 per suspicious event', () => {
    const tm = new ThreatMemory({ halfLifeMs: 1000 });
    tm.update('ip:a', 'ip', obs(0.5, 0), true);
    const s = tm.update('ip:a', 'ip', obs(0.5, 1000), true);
    expect(s.recurrence).toBeCloseTo(1.5, 15); // 1·½ + 1
    expect(tm.recurrenceAt('ip:a', 3000)).toBeCloseTo(0.375, 15); // 1.5·¼
    expect(tm.recurrenceAt('ip:a', 1000)).toBeCloseTo(1.5, 15);
    expect(tm.recurrenceAt('ip:a', 500)).toBeCloseTo(1.5, 15); // before last_seen: no un-decay
    expect(tm.recurrenceAt('ip:unknown', 1000)).toBe(0);
  });

  it('counts an event as suspicious from suspiciousAt on (0.4 by default)', () => {
    const tm = new ThreatMemory({ halfLifeMs: 1000 });
    expect(tm.update('ip:a', 'ip', obs(0.39, 0), true).recurrence).toBe(0);
    expect(tm.update('ip:a', 'ip', obs(0.4, 0), true).recurrence).toBe(1);
    const strict = new ThreatMemory({ suspiciousAt: 0.9 });
    expect(strict.update('ip:a', 'ip', obs(0.89, 0), true).recurrence).toBe(0);
  });

  it('moves ewma_risk with weight (1 − α)·2^(−Δt/halfLife) on the old mean', () => {
    const tm = new ThreatMemory({ halfLifeMs: 1000 });
    expect(tm.update('ip:a', 'ip', obs(0.5, 0), true).ewma_risk).toBe(0.5); // first event: the risk itself
    // Δt = 1 s: w = 0.8·0.5 = 0.4 → 0.4·0.5 + 0.6·1 = 0.8
    expect(tm.update('ip:a', 'ip', obs(1, 1000), true).ewma_risk).toBeCloseTo(0.8, 15);
    // Δt = 0: w = 0.8 → 0.8·0.8 + 0.2·0 = 0.64
    const s = tm.update('ip:a', 'ip', obs(0, 1000), true);
    expect(s.ewma_risk).toBeCloseTo(0.64, 15);
    expect(s.risk_class).toBe('Medium'); // from the ewma
    expect(s.max_risk).toBe(1);
    // After 100 half-lives the old mean is forgotten.
    expect(tm.update('ip:a', 'ip', obs(0.1, 101_000), true).ewma_risk).toBeCloseTo(0.1, 12);
  });

  it('handles out-of-order events: last_seen is the max, the late event adds its decayed weight', () => {
    const tm = new ThreatMemory({ halfLifeMs: 1000 });
    tm.update('robot:r1', 'robot', obs(0.5, 2000), true);
    const s = tm.update('robot:r1', 'robot', obs(0.5, 1000), true);
    expect(s.first_seen_ms).toBe(1000);
    expect(s.last_seen_ms).toBe(2000);
    expect(s.recurrence).toBeCloseTo(1.5, 15); // 1 + 2^(−1)
    expect(s.events).toBe(2);
    expect(s.ewma_risk).toBeCloseTo(0.5, 15);
  });

  it('counts events and alerts, keeps the kind, and stores a given risk class', () => {
    const tm = new ThreatMemory();
    tm.update('sensor:s/t1', 'sensor', { risk: 0.1, tsMs: 0, alerted: false }, true);
    tm.update('sensor:s/t1', 'sensor', { risk: 0.2, tsMs: 10, alerted: true, riskClass: 'High' }, true);
    const s = tm.update('sensor:s/t1', 'sensor', { risk: 0.3, tsMs: 20, alerted: true }, true);
    expect(s).toMatchObject({ kind: 'sensor', events: 3, alerts: 2, first_seen_ms: 0, last_seen_ms: 20, max_risk: 0.3, risk_class: 'Low' });
    expect(tm.get('sensor:s/t1')).toBe(s);
    expect(tm.update('sensor:s/t1', 'sensor', { risk: 0, tsMs: 30, alerted: false, riskClass: 'High' }, true).risk_class).toBe('High');
  });

  it('keeps recurrence in [0, number of suspicious events] and ewma within the range of the risks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ risk: fc.double({ min: 0, max: 1, noNaN: true }), tsMs: fc.integer({ min: 0, max: 1e9 }) }), { minLength: 1, maxLength: 40 }),
        (events) => {
          const tm = new ThreatMemory({ halfLifeMs: 60_000 });
          let s: EntityState | undefined;
          for (const e of events) s = tm.update('ip:x', 'ip', { ...e, alerted: false }, true);
          const suspicious = events.filter((e) => e.risk >= 0.4).length;
          const risks = events.map((e) => e.risk);
          expect(s!.recurrence).toBeGreaterThanOrEqual(0);
          expect(s!.recurrence).toBeLessThanOrEqual(suspicious + 1e-9);
          expect(s!.ewma_risk).toBeGreaterThanOrEqual(Math.min(...risks) - 1e-12);
          expect(s!.ewma_risk).toBeLessThanOrEqual(Math.max(...risks) + 1e-12);
          expect(s!.last_seen_ms).toBe(Math.max(...events.map((e) => e.tsMs)));
          expect(s!.first_seen_ms).toBe(Math.min(...events.map((e) => e.tsMs)));
        },
      ),
    );
  });
});

describe('ThreatMemory commit=false', () => {
  it('returns the would-be state and changes nothing', () => {
    const tm = new ThreatMemory({ maxEntities: 1, halfLifeMs: 1000 });
    const before = tm.update('ip:a', 'ip', obs(0.5, 0), true);
    tm.drainDirty();
    const dry = tm.update('ip:a', 'ip', obs(0.9, 1000, true), false);
    expect(dry).toMatchObject({ recurrence: 1.5, events: 2, alerts: 1, max_risk: 0.9 });
    expect(tm.get('ip:a')).toBe(before);
    expect(tm.update('ip:b', 'ip', obs(0.5, 0), false).events).toBe(1);
    expect(tm.has('ip:b')).toBe(false);
    expect(tm.size).toBe(1);
    expect(tm.evictions).toBe(0);
    expect(tm.drainDirty()).toEqual([]);
    expect(tm.update('ip:a', 'ip', obs(0.9, 1000, true), true)).toEqual(dry);
  });
});

describe('ThreatMemory: a slow attacker across a restart', () => {
  const HALF_LIFE = THREAT_MEMORY_DEFAULTS.halfLifeMs;
  for (const modulation of ['identity', 'sine'] as const) {
    it(`reaches recurrence ≥ 4 within 40 s at rule risk 0.45 every 10 s and keeps it after load() (${modulation})`, () => {
      const cfg = { ...RISK_DEFAULTS, modulation };
      const step = (tm: ThreatMemory, t: number): { risk: number; state: EntityState } => {
        const recurrence = tm.recurrenceAt('ip:10.0.0.66', t);
        const risk = combineRisk({ ml: null, rule: 0.45, recurrence }, cfg);
        return { risk, state: tm.update('ip:10.0.0.66', 'ip', { risk, tsMs: t, alerted: false }, true) };
      };
      const t0 = 1_700_000_000_000;
      const tm = new ThreatMemory();
      let last: { risk: number; state: EntityState } | undefined;
      for (let k = 0; k <= 4; k++) last = step(tm, t0 + k * 10_000);
      // Five suspicious events 10 s apart: Σ q^k for k = 0..4 with q = 2^(−10 s / 6 h).
      const q = 2 ** (-10_000 / HALF_LIFE);
      expect(last!.state.recurrence).toBeCloseTo((1 - q ** 5) / (1 - q), 9);
      expect(last!.state.recurrence).toBeGreaterThanOrEqual(4);

      // Restart: persist through JSON, load into a fresh memory.
      const persisted = JSON.parse(JSON.stringify(tm.drainDirty())) as EntityState[];
      expect(persisted).toEqual([last!.state]);
      const restarted = new ThreatMemory();
      restarted.load(persisted);
      expect(restarted.drainDirty()).toEqual([]); // loading does not mark dirty
      expect(restarted.get('ip:10.0.0.66')).toEqual(last!.state);
      expect(restarted.recurrenceAt('ip:10.0.0.66', t0 + 50_000)).toBeCloseTo(last!.state.recurrence * q, 12);
      const next = step(restarted, t0 + 50_000);
      expect(next.state.recurrence).toBeGreaterThanOrEqual(5);
      expect(next.state.events).toBe(6);
      // Escalation at recurrence ≈ 5 lifts the Medium rule hit to High.
      expect(next.risk).toBeGreaterThanOrEqual(0.7);
    });
  }
});

describe('ThreatMemory bound, load and dirty draining', () => {
  it('evicts the least recently updated entity beyond maxEntities', () => {
    const tm = new ThreatMemory({ maxEntities: 3 });
    for (const [i, e] of ['a', 'b', 'c'].entries()) tm.update(`ip:${e}`, 'ip', obs(0.1, i), true);
    tm.update('ip:a', 'ip', obs(0.1, 10), true); // a becomes most recent: b is now the oldest
    tm.update('ip:d', 'ip', obs(0.1, 11), true);
    tm.update('ip:e', 'ip', obs(0.1, 12), true);
    expect(tm.size).toBe(3);
    expect(tm.evictions).toBe(2);
    expect(['a', 'b', 'c', 'd', 'e'].filter((e) => tm.has(`ip:${e}`))).toEqual(['a', 'd', 'e']);
    // Evicted before being drained: still handed out once.
    expect(tm.drainDirty().map((s) => s.entity).sort()).toEqual(['ip:a', 'ip:b', 'ip:c', 'ip:d', 'ip:e']);
    expect(tm.drainDirty()).toEqual([]);
  });

  it('never holds more than maxEntities under random traffic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 100 }), (max, ids) => {
        const tm = new ThreatMemory({ maxEntities: max });
        for (const [t, id] of ids.entries()) tm.update(`ip:${id}`, 'ip', obs(0.5, t), true);
        expect(tm.size).toBeLessThanOrEqual(max);
        expect(tm.size).toBe(Math.min(max, new Set(ids).size));
        if (ids.length > 0) expect(tm.has(`ip:${ids[ids.length - 1]}`)).toBe(true);
      }),
    );
  });

  it('drains each changed entity once, with its latest state', () => {
    const tm = new ThreatMemory();
    tm.update('ip:a', 'ip', obs(0.5, 0), true);
    tm.update('ip:b', 'ip', obs(0.5, 0), true);
    const a2 = tm.update('ip:a', 'ip', obs(0.6, 5), true);
    const drained = tm.drainDirty();
    expect(drained).toHaveLength(2);
    expect(drained.find((s) => s.entity === 'ip:a')).toBe(a2);
    expect(tm.drainDirty()).toEqual([]);
    tm.update('ip:b', 'ip', obs(0.5, 9), true);
    expect(tm.drainDirty().map((s) => s.entity)).toEqual(['ip:b']);
  });

  it('load keeps the newer state and applies the bound', () => {
    const tm = new ThreatMemory({ maxEntities: 2 });
    const live = tm.update('ip:a', 'ip', obs(0.5, 5000), true);
    const stale: EntityState = { ...live, last_seen_ms: 1000, events: 99 };
    tm.load([stale]);
    expect(tm.get('ip:a')).toBe(live);
    const newer: EntityState = { ...live, last_seen_ms: 9000, events: 7 };
    tm.load([newer]);
    expect(tm.get('ip:a')).toBe(newer);
    tm.load([{ ...live, entity: 'ip:b' }, { ...live, entity: 'ip:c' }]);
    expect(tm.size).toBe(2);
    expect(tm.has('ip:a')).toBe(false);
    expect(tm.evictions).toBe(1);
  });
});

describe('ThreatMemory validation', () => {
  it.each([
    [{ halfLifeMs: 0 }],
    [{ halfLifeMs: Infinity }],
    [{ ewmaAlpha: 0 }],
    [{ ewmaAlpha: 1.1 }],
    [{ suspiciousAt: -0.1 }],
    [{ maxEntities: 0 }],
    [{ maxEntities: 2.5 }],
  ])('rejects options %o', (o) => {
    expect(() => new ThreatMemory(o)).toThrow(RangeError);
  });

  it('rejects a risk outside [0, 1] and a non-finite time', () => {
    const tm = new ThreatMemory();
    expect(() => tm.update('ip:a', 'ip', obs(1.2, 0), true)).toThrow(RangeError);
    expect(() => tm.update('ip:a', 'ip', obs(Number.NaN, 0), true)).toThrow(RangeError);
    expect(() => tm.update('ip:a', 'ip', obs(0.5, Number.NaN), true)).toThrow(RangeError);
    expect(tm.size).toBe(0);
  });
});

describe('ThreatMemory exposure (vulnerability scans)', () => {
  it('creates a state for an unseen host with no events and the exposure as its class', () => {
    const tm = new ThreatMemory();
    const s = tm.setExposure('ip:10.0.0.5', 0.98, 5_000);
    expect(s).toEqual({
      entity: 'ip:10.0.0.5', kind: 'ip', first_seen_ms: 5_000, last_seen_ms: 5_000, events: 0, alerts: 0,
      recurrence: 0, max_risk: 0, ewma_risk: 0, risk_class: 'High', exposure: 0.98,
    });
    expect(tm.drainDirty()).toEqual([s]);
  });

  it('keeps counts, recurrence, EWMA and last_seen; the class is the larger of EWMA and exposure; events keep it', () => {
    const tm = new ThreatMemory({ halfLifeMs: 1000 });
    tm.update('ip:h', 'ip', obs(0.1, 0), true);
    const before = tm.get('ip:h')!;
    const s = tm.setExposure('ip:h', 0.5, 10_000);
    expect({ ...s, exposure: 0, risk_class: before.risk_class }).toEqual(before);
    expect(s.risk_class).toBe('Medium');
    // A later event keeps the exposure, and the class stays at least the exposure's.
    const after = tm.update('ip:h', 'ip', obs(0.05, 20_000), true);
    expect(after.exposure).toBe(0.5);
    expect(after.risk_class).toBe('Medium');
    // A re-scan that finds nothing lowers it again; the scan's alerts are counted.
    const rescanned = tm.setExposure('ip:h', 0, 30_000, 2);
    expect(rescanned.risk_class).toBe('Low');
    expect(rescanned.alerts).toBe(after.alerts + 2);
    expect(rescanned.events).toBe(after.events);
    expect(() => tm.setExposure('ip:h', 0, 30_000, -1)).toThrow(RangeError);
    expect(() => tm.setExposure('ip:h', 0, 30_000, 0.5)).toThrow(RangeError);
  });

  it('rejects an exposure outside [0, 1] and a non-finite time', () => {
    const tm = new ThreatMemory();
    expect(() => tm.setExposure('ip:a', 1.2, 0)).toThrow(RangeError);
    expect(() => tm.setExposure('ip:a', Number.NaN, 0)).toThrow(RangeError);
    expect(() => tm.setExposure('ip:a', 0.5, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(tm.size).toBe(0);
  });
});
