/**
 * What the library needs from its caller's process: where progress lines go (stderr) and the
 * environment it reads tokens from (by the variable's name, never from argv). The CLI passes its
 * own (cli/main.ts CliIO); a script passes process's, or its own to capture the lines.
 */
export interface LibraryIO {
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** The process's own stderr and environment. */
export function processIO(): LibraryIO {
  return { stderr: process.stderr, env: process.env };
}
