import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { checkTopic, parseTopic, telemetryTopic } from './mqtt-topic.js';

describe('parseTopic', () => {
  it('splits ipqsec/<site>/<device>/<kind> for every kind', () => {
    expect(parseTopic('ipqsec/plant-1/tt-101/sensor')).toEqual({ site: 'plant-1', device: 'tt-101', kind: 'sensor' });
    expect(parseTopic('ipqsec/hq/zeek0/flow')).toEqual({ site: 'hq', device: 'zeek0', kind: 'flow' });
    expect(parseTopic('ipqsec/dock/r2 d2/robot')).toEqual({ site: 'dock', device: 'r2 d2', kind: 'robot' });
  });

  it.each([
    ['ipqsec/a/b', 'expected 4 levels'],
    ['ipqsec/a/b/sensor/extra', 'expected 4 levels'],
    ['other/a/b/sensor', 'first level'],
    ['IPQSEC/a/b/sensor', 'first level'],
    ['ipqsec//b/sensor', 'site level is empty'],
    ['ipqsec/a//sensor', 'device level is empty'],
    ['ipqsec/a/b/', 'kind must be one of'],
    ['ipqsec/a/b/alarm', 'kind must be one of'],
    ['ipqsec/+/b/sensor', 'wildcard'],
    ['ipqsec/a/#/sensor', 'wildcard'],
    ['ipqsec/a/b+c/sensor', 'wildcard'],
    ['ipqsec/a\u0000/b/sensor', 'U+0000'],
    [`ipqsec/${'s'.repeat(65)}/b/sensor`, 'longer than 64'],
    ['', 'expected 4 levels'],
  ])('rejects %j with IPQ-E006 naming the topic (%s)', (topic, reason) => {
    expect(checkTopic(topic)).toContain(reason);
    try {
      parseTopic(topic);
      expect.unreachable();
    } catch (e) {
      expect(isIpqsecError(e, 'IPQ-E006')).toBe(true);
      expect((e as Error).message).toContain(JSON.stringify(topic));
      expect((e as Error).message).toContain(reason);
    }
  });

  it('accepts a 64-character segment (the schema limit)', () => {
    const s = 'x'.repeat(64);
    expect(checkTopic(`ipqsec/${s}/${s}/flow`)).toEqual({ site: s, device: s, kind: 'flow' });
  });

  it('telemetryTopic builds what parseTopic reads, and refuses a segment with /', () => {
    expect(telemetryTopic('s1', 'd1', 'robot')).toBe('ipqsec/s1/d1/robot');
    expect(() => telemetryTopic('s/1', 'd1', 'robot')).toThrow(/IPQ-E006/);
  });
});
