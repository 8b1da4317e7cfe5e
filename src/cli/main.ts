#!/usr/bin/env node
/**
 * The `ipqsec` command line. The only module that prints to the terminal and sets the exit code:
 * an IpqsecError prints its message and hint and exits with its catalogue exit code; anything else is a bug
 * and exits 70 with the stack.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ERROR_CATALOGUE, errorCatalogueMarkdown, isIpqsecError, type ErrorCode } from '../core/errors.js';
import { datasetsCommand } from './datasets-command.js';
import { demoCommand } from './demo-command.js';
import { serveCommand } from './serve-command.js';
import { simulateCommand } from './simulate-command.js';
import { evaluateCommand } from './evaluate-command.js';
import { devicesCommand } from './devices-command.js';
import { keysCommand } from './keys-command.js';
import { logCommand } from './log-command.js';
import { witnessCommand } from './witness-command.js';
import { modelCommand } from './model-command.js';
import { modelSignCommands } from './model-sign-command.js';
import { pcapCommand } from './pcap-command.js';
import { predictCommand } from './predict-command.js';
import { scanCommand } from './scan-command.js';
import { cveCommand } from './cve-command.js';
import { sensorCommand } from './sensor-command.js';
import { startCommand } from './start-command.js';
import { trainCommand } from './train-command.js';
import { tuneCommand } from './tune-command.js';

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('ipqsec')
    .description('IPqSEC: ML intrusion detection for IoT devices, robot fleets and edge networks')
    .version('0.1.0')
    .showHelpAfterError();
  program.addCommand(demoCommand());
  program.addCommand(serveCommand());
  program.addCommand(simulateCommand());
  program.addCommand(startCommand());
  program.addCommand(trainCommand());
  program.addCommand(evaluateCommand());
  program.addCommand(tuneCommand());
  program.addCommand(predictCommand());
  program.addCommand(pcapCommand());
  program.addCommand(sensorCommand());
  program.addCommand(scanCommand());
  program.addCommand(cveCommand());
  program.addCommand(modelSignCommands(modelCommand()));
  program.addCommand(keysCommand());
  program.addCommand(devicesCommand());
  program.addCommand(logCommand());
  program.addCommand(witnessCommand());
  program.addCommand(datasetsCommand());
  program
    .command('errors')
    .description('list the error codes')
    .option('--markdown', 'print docs/errors.md')
    .action((v: { markdown?: boolean }) => {
      if (v.markdown === true) process.stdout.write(errorCatalogueMarkdown());
      else for (const [code, s] of Object.entries(ERROR_CATALOGUE)) process.stdout.write(`${code}  ${s.title}\n`);
    });
  return program;
}

/** Runs the CLI with `argv` (as `process.argv`) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isIpqsecError(e)) {
      const spec = ERROR_CATALOGUE[e.code as ErrorCode];
      process.stderr.write(`\nerror: ${e.message}\nhint: ${spec.hint}\n`);
      return spec.exitCode;
    }
    process.stderr.write(`\ninternal error (a bug; please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 70;
  }
}

function isEntryPoint(): boolean {
  if (process.argv[1] === undefined) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

const isEntry = isEntryPoint();
if (isEntry) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
