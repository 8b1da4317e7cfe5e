/**
 * `ipqsec datasets`: which data sets are present under IPQSEC_DATA and how to get the others.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { DATASET_SOURCES, dataDir, downloadInstructions } from '../data/datasets.js';

/** Builds the `datasets` command. */
export function datasetsCommand(): Command {
  return new Command('datasets').description('list the data sets found under IPQSEC_DATA and how to get the others').action(() => {
    const dir = dataDir();
    process.stdout.write(`data folder: ${dir}${existsSync(dir) ? '' : ' (absent)'}\n`);
    for (const s of Object.values(DATASET_SOURCES)) {
      const files = Object.keys(s.files);
      const found = files.filter((f) => existsSync(join(dir, s.folder, f)));
      process.stdout.write(`\n${s.title}: ${found.length}/${files.length} files found${found.length > 0 ? ` (${found.join(', ')})` : ''}\n`);
      if (found.length < files.length) process.stdout.write(`${downloadInstructions(s.kind, dir)}\n`);
    }
  });
}
