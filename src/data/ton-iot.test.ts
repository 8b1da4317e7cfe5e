import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataFile } from './_test-data.js';
import { loadTonIot, tonIotDevice } from './ton-iot.js';

const DEVICES = ['Fridge', 'GPS_Tracker', 'Garage_Door', 'Thermostat'] as const;
const files = DEVICES.map((d) => ({ device: d, ...dataFile('ton-iot', `Train_Test_IoT_${d}.csv`) }));
const skip = files.some((f) => !f.exists);
const why = skip ? ' (SKIPPED: TON_IoT files not found; set IPQSEC_DATA)' : '';

/** Data rows and label/type counts with a plain split (these files have no quoted fields). */
function plainCounts(path: string): { rows: number; attacks: number; types: Map<string, number> } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].replace(/^\uFEFF/, '').split(',');
  const li = header.indexOf('label');
  const ti = header.indexOf('type');
  const types = new Map<string, number>();
  let attacks = 0;
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    attacks += f[li] === '1' ? 1 : 0;
    types.set(f[ti].trim(), (types.get(f[ti].trim()) ?? 0) + 1);
  }
  return { rows: lines.length - 1, attacks, types };
}

describe('TON_IoT', () => {
  it('names the device from the file name', () => {
    expect(tonIotDevice('/x/Train_Test_IoT_GPS_Tracker.csv')).toBe('GPS_Tracker');
    expect(tonIotDevice('weather.csv')).toBe('weather');
  });

  it.skipIf(skip)(`loads the four device files${why}`, async () => {
    for (const f of files) {
      const ds = await loadTonIot(f.path);
      const ref = plainCounts(f.path);
      expect(ds.name).toBe(`ton-iot ${f.device}`);
      expect(ds.features.nRows).toBe(ref.rows);
      expect(ds.features.nRows).toBeGreaterThanOrEqual(52_774);
      expect(ds.features.nRows).toBeLessThanOrEqual(59_944);
      let attacks = 0;
      for (const b of ds.binary) attacks += b;
      expect(attacks).toBe(ref.attacks);
      expect(ds.classNames[0]).toBe('normal');
      const counts = new Map<string, number>();
      for (const k of ds.multiclass) counts.set(ds.classNames[k], (counts.get(ds.classNames[k]) ?? 0) + 1);
      expect(counts).toEqual(ref.types);
      const names = ds.features.columns.map((c) => c.name);
      for (const gone of ['ts', 'date', 'time', 'label', 'type']) expect(names).not.toContain(gone);
      expect(ds.time?.length).toBe(ds.features.nRows);
      expect(ds.time?.every((t) => t > 1.5e9 && t < 1.6e9)).toBe(true);
    }
  });

  it.skipIf(skip)(`detects string columns as categorical and removes formatting artefacts${why}`, async () => {
    const kinds = async (d: string) => {
      const ds = await loadTonIot(files.find((f) => f.device === d)?.path as string);
      return Object.fromEntries(ds.features.columns.map((c) => [c.name, c.kind === 'categorical' ? c.categories : 'numeric']));
    };
    // Fridge temp_condition is `high ` / `high  ` on normal rows and `high` on attack rows: trimmed to one value.
    expect(await kinds('Fridge')).toEqual({ fridge_temperature: 'numeric', temp_condition: ['high', 'low'] });
    // Garage_Door sphone_signal mixes `false`/`true` (normal rows) with 0/1 (attack rows): read as numbers.
    expect(await kinds('Garage_Door')).toEqual({ door_state: ['closed', 'open'], sphone_signal: 'numeric' });
    expect(await kinds('Thermostat')).toEqual({ current_temperature: 'numeric', thermostat_status: 'numeric' });
    expect(await kinds('GPS_Tracker')).toEqual({ latitude: 'numeric', longitude: 'numeric' });
  });
});
