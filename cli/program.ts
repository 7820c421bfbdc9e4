import { Command } from 'commander';
import type { CliIO } from './main.js';

/**
 * Commander wiring only. Each action lazy-imports its module from cli/commands/, which returns an
 * exit code; errors propagate to main()'s single handler.
 */
export function createProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('rehearse')
    .description('Rehearse a BinderHub workshop before the attendees arrive.')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  const run =
    <A extends unknown[]>(load: () => Promise<(io: CliIO, ...args: A) => Promise<number>>) =>
    async (...args: A) => {
      const action = await load();
      setExit(await action(io, ...args));
    };

  program
    .command('validate')
    .description('check a scenario file; lists every error with its path and line')
    .argument('<scenario>', 'scenario YAML file')
    .option('--json', 'print the normalised scenario as JSON')
    .action(run(async () => (await import('./commands/validate.js')).validate));

  return program;
}
