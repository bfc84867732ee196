/**
 * The agent in a child process (fake node, real signals): SIGINT leaves and exits 0, SIGTERM exits
 * 1, SIGHUP keeps it running, and the process ends by itself each time (no timer, listener or
 * script left behind).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const FIXTURE = fileURLToPath(new URL('./fixtures/fake-agent.ts', import.meta.url))

interface Run {
  send(signal: NodeJS.Signals): void
  running: Promise<void>
  exit: Promise<{ code: number | null; stdout: string }>
  stdout(): string
}

function agent(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, '-node=p1', '-bind=127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let markRunning: () => void = () => {}
  const running = new Promise<void>((r) => (markRunning = r))
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s
    if (stdout.includes('RUNNING\n')) markRunning()
  })
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  // Generous: a loaded 2-core machine; the kill is only a safety net, a hang fails the test.
  const safety = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const exit = new Promise<{ code: number | null; stdout: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(safety)
      resolve({ code, stdout })
    }),
  )
  return { send: (s) => void child.kill(s), running, exit, stdout: () => stdout }
}

describe('agent - process signals', () => {
  it('SIGHUP reloads and keeps running; SIGINT then leaves and the process exits 0 by itself', async () => {
    const a = agent(['-event-handler=user:x=true'])
    await a.running
    a.send('SIGHUP')
    // Wait for the reload's lines, then prove the agent is still there by ending it.
    for (let i = 0; i < 400 && !a.stdout().includes('==> Reloading configuration...'); i++) await new Promise((r) => setTimeout(r, 25))
    a.send('SIGINT')
    const { code, stdout } = await a.exit
    expect(stdout).toContain('==> Caught signal: hangup')
    expect(stdout).toContain('==> Gracefully shutting down agent...')
    expect(code).toBe(0)
  }, 40_000)

  it('SIGTERM exits 1 without a leave', async () => {
    const a = agent([])
    await a.running
    a.send('SIGTERM')
    const { code, stdout } = await a.exit
    expect(stdout).toContain('==> Caught signal: terminated')
    expect(stdout).toMatch(/\[WARN\] serf: Shutdown without a Leave/)
    expect(code).toBe(1)
  }, 40_000)
})
