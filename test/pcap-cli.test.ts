/**
 * `ipqsec pcap` and `ipqsec sensor` as real processes (the built CLI in dist/): a capture piped on stdin, the exit
 * code and message of a truncated capture, and bad options.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const data = process.env.IPQSEC_DATA ?? join(root, '..', 'shared', 'data');
const capture = (name: string) => join(data, 'pcaps', name);
const have = existsSync(capture('synscan.pcapng'));
if (!have) console.warn(`pcap-cli.test: skipped, ${capture('synscan.pcapng')} not found (set IPQSEC_DATA)`);

function run(args: string[], stdin?: Uint8Array): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (stdin !== undefined) {
      // Written in small pieces, as a pipe from tcpdump delivers it.
      let off = 0;
      const pump = (): void => {
        while (off < stdin.length) {
          const piece = stdin.subarray(off, off + 1500);
          off += piece.length;
          if (!child.stdin.write(piece)) return void child.stdin.once('drain', pump);
        }
        child.stdin.end();
      };
      pump();
    } else child.stdin.end();
  });
}

describe.skipIf(!have)('ipqsec pcap (process)', () => {
  it('reads a pcapng stream on stdin (-) and prints EVE alerts then stats', async () => {
    const r = await run(['pcap', '--json', '-'], readFileSync(capture('synscan.pcapng')));
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ event_type: 'stats', packets: 2011 });
    expect(lines.some((l) => l.event_type === 'alert' && l.src_ip === '172.16.0.8' && (l.reasons as string[]).includes('Port Scan'))).toBe(true);
  });

  it('a truncated capture: the summary of what was read, then IPQ-N001 with the byte offset and exit code 2', async () => {
    const bytes = readFileSync(capture('arppoison.pcapng'));
    const r = await run(['pcap', '-'], bytes.subarray(0, 40_000));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/<stdin>: pcapng, \d+ packets/);
    expect(r.stderr).toMatch(/IPQ-N001 <stdin> byte \d+: capture truncated/);
  });

  it('bad options and unreadable files fail with their codes', async () => {
    expect((await run(['pcap', '--flows-format', 'xml', capture('mqtt.pcap')])).stderr).toMatch(/IPQ-C001/);
    const missing = await run(['pcap', join(data, 'pcaps', 'no-such.pcap')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/IPQ-D001/);
    const notCapture = await run(['pcap', join(data, 'README.md')]);
    expect(notCapture.code).toBe(2);
    expect(notCapture.stderr).toMatch(/IPQ-N002 .*byte 0/);
    const noInput = await run(['sensor', '--server', 'http://127.0.0.1:9']);
    expect(noInput.stderr).toMatch(/IPQ-C001/);
  });
});
