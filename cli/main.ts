import { CommanderError } from 'commander';
import { ExitCode, RehearseError } from '../core/errors.js';
import { createProgram } from './program.js';

/** Everything a command needs from the process, injectable for in-process CLI tests. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * Parse argv, run the command, print any error once, and return the exit code.
 * Never calls process.exit: bin/ sets process.exitCode from the result.
 */
export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const debug = argv.includes('--debug');
  let code: number = ExitCode.ok;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return reportError(err, io, debug);
  }
}

export function reportError(err: unknown, io: CliIO, debug: boolean): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (help, version, unknown option).
    if (err.exitCode === 0) return ExitCode.ok;
    return ExitCode.invalidInput;
  }
  if (err instanceof RehearseError) {
    io.stderr.write(`error: ${err.message}\n`);
    if (err.hint) io.stderr.write(`  ${err.hint.split('\n').join('\n  ')}\n`);
    if (debug) io.stderr.write(`${err.stack ?? ''}\n${causeChain(err)}`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr.write(`error: ${e.message}\n`);
  io.stderr.write(debug ? `${e.stack ?? ''}\n` : '  (run again with --debug for the stack trace)\n');
  return ExitCode.runtime;
}

function causeChain(err: Error): string {
  let out = '';
  let cause = err.cause;
  while (cause instanceof Error) {
    out += `caused by: ${cause.stack ?? cause.message}\n`;
    cause = cause.cause;
  }
  return out;
}

function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
