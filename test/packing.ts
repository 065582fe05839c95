// Packing the package and installing it into an empty project, as a user would (npm with install
// scripts on, whatever the caller's configuration says).
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const root = path.join(__dirname, '..')

export interface Run {
  status: number | null
  stdout: string
  stderr: string
}

export function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  return spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      npm_config_ignore_scripts: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      ...env,
    },
    timeout: 240_000,
  })
}

export function succeeded<R extends Run>(r: R, what: string): R {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
  return r
}

/** `npm pack` of the checkout into `dir` (dist/ must be built): the tarball and its file list. */
export function pack(dir: string): { tarball: string; files: string[] } {
  const out = JSON.parse(
    succeeded(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root), 'npm pack').stdout,
  )
  return {
    tarball: path.join(dir, out[0].filename),
    files: (out[0].files as Array<{ path: string }>).map((f) => f.path).sort(),
  }
}

/** An empty project at `dir` that installs `tarball` (dependencies from npm's cache when it has them). */
export function installInto(dir: string, tarball: string, env: NodeJS.ProcessEnv = {}): Run {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: path.basename(dir), version: '1.0.0', private: true }),
  )
  return npm(['install', '--prefer-offline', '--foreground-scripts', tarball], dir, env)
}
