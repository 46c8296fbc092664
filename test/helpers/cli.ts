import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${ROOT}dist/cli/main.js`;
export const CAPTURES = `${ROOT}fixtures/captures/`;

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs the built CLI as a user would: a child process, optional stdin, a clean colour env. */
export function runCli(args: string[], opts: { input?: Buffer | string; env?: Record<string, string | undefined>; cwd?: string } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, XSMIG_DEBUG: undefined, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: opts.input ?? '',
    env: env as NodeJS.ProcessEnv,
    cwd: opts.cwd ?? ROOT,
    maxBuffer: 64 << 20,
  });
  return { status: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), stdoutBytes: r.stdout };
}
