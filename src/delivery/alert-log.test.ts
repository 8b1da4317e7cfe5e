import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { robotAlert, sensorAlert } from './_test-alerts.js';
import { AlertLog } from './alert-log.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipqsec-alert-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('AlertLog', () => {
  it('creates missing directories and appends one ECS document per line', async () => {
    const path = join(dir, 'a', 'b', 'alerts.ndjson');
    const log = await AlertLog.open(path);
    log.append(robotAlert());
    log.append(sensorAlert());
    await log.close();
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const docs = await lines(path);
    expect(docs).toHaveLength(2);
    expect(docs.map((d) => (d.event as { id: string }).id)).toEqual(['01HZX3K5V8Q2W4E6R8T0Y2U4I6', 'al-sensor-1']);
    for (const d of docs) {
      expect(d['@timestamp']).toBe('2024-05-01T10:00:00.000Z');
      expect(d.ecs).toEqual({ version: '8.11.0' });
      expect(d.event).toMatchObject({ kind: 'alert' });
    }
    expect((docs[0]!.threat as { framework: string }).framework).toBe('MITRE ATT&CK');
    expect(log.stats()).toEqual({ written: 2, buffered: 0, dropped: 0 });
  });

  it('appends to an existing file instead of truncating it', async () => {
    const path = join(dir, 'alerts.ndjson');
    await writeFile(path, '{"old":true}\n');
    const log = await AlertLog.open(path);
    log.append(sensorAlert());
    await log.close();
    const docs = await lines(path);
    expect(docs[0]).toEqual({ old: true });
    expect(docs).toHaveLength(2);
  });

  it('keeps order under backpressure and every line reaches the file', async () => {
    const path = join(dir, 'alerts.ndjson');
    const log = await AlertLog.open(path);
    const n = 2000; // ≈ 1 kB each: far over the stream's 16 kB high-water mark
    for (let i = 0; i < n; i++) log.append(robotAlert({ id: `al-${i}` }));
    expect(log.stats().buffered).toBeGreaterThan(0);
    await log.close();
    const ids = (await lines(path)).map((d) => (d.event as { id: string }).id);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `al-${i}`));
    expect(log.stats()).toEqual({ written: n, buffered: 0, dropped: 0 });
  });

  it('drops the oldest held lines beyond maxBuffered and counts them', async () => {
    const path = join(dir, 'alerts.ndjson');
    const log = await AlertLog.open(path, { maxBuffered: 5 });
    const n = 200;
    for (let i = 0; i < n; i++) log.append(robotAlert({ id: `al-${i}` }));
    const { written, buffered, dropped } = log.stats();
    expect(buffered).toBe(5);
    expect(written + buffered + dropped).toBe(n);
    await log.close();
    const ids = (await lines(path)).map((d) => (d.event as { id: string }).id);
    // The stream took the first `written` lines before it pushed back; the 5 newest were held.
    expect(ids).toEqual([...Array.from({ length: written }, (_, i) => `al-${i}`), 'al-195', 'al-196', 'al-197', 'al-198', 'al-199']);
    expect(log.stats()).toMatchObject({ written: written + 5, buffered: 0, dropped });
    log.append(sensorAlert()); // after close: dropped
    expect(log.stats().dropped).toBe(dropped + 1);
  });

  it('fails to open an unwritable path with IPQ-S001', async () => {
    await writeFile(join(dir, 'file'), 'x');
    // A path under a regular file can never be a directory, whoever runs the test (root ignores chmod).
    await expect(AlertLog.open(join(dir, 'file', 'alerts.ndjson'))).rejects.toSatisfy((e) => isIpqsecError(e, 'IPQ-S001'));
  });
});
