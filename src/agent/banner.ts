/**
 * The lines `serf agent` prints once it runs (serf-rpc.md 6.5): labels right-aligned to column 31
 * after the `    ` info indent, `Advertise addr` unaligned as Serf prints it. Ours add `Placement`
 * and, with `-metrics-addr`, `Metrics addr`; with `-ui-addr`, `UI` (the live page's URL).
 */
import type { AgentConfig } from './config/agent-config.ts'

const LABEL_WIDTH = 31

const row = (label: string, value: string): string => `${label.padStart(LABEL_WIDTH)}: ${value}`

export interface BannerFacts {
  /** The gossip address the node bound. */
  bindAddr: string
  rpcAddr: string
  metricsAddr: string | undefined
  /** The live page's URL (`-ui-addr`). */
  uiUrl?: string | undefined
}

export function runningBanner(config: AgentConfig, facts: BannerFacts): string[] {
  const lines = ['==> Serf agent running!', row('Node name', `'${config.nodeName}'`), row('Bind addr', `'${facts.bindAddr}'`)]
  if (config.advertise !== undefined) lines.push(`    Advertise addr: '${config.advertise}'`)
  lines.push(
    row('RPC addr', `'${facts.rpcAddr}'`),
    row('Encrypted', String(config.encryptKey !== undefined || config.keyringFile !== undefined)),
    row('Snapshot', String(config.snapshotPath !== undefined)),
    row('Profile', config.profile),
    row('Message Compression Enabled', String(config.enableCompression)),
    row('Placement', config.placement),
  )
  if (facts.metricsAddr !== undefined) lines.push(row('Metrics addr', `'${facts.metricsAddr}'`))
  if (facts.uiUrl !== undefined) lines.push(row('UI', `'${facts.uiUrl}'`))
  return lines
}

/** `-h` and the text after an unknown flag. */
export const AGENT_HELP = `Usage: gossamer agent [options]

  Starts the Gossamer agent and runs until an interrupt is received. The agent
  speaks Serf's gossip and RPC protocols: serf agents and the serf CLI work with it.

Options:

  -bind=0.0.0.0:7946       Address to bind the gossip listeners to.
  -advertise=addr:port     Address to advertise to the other cluster members.
  -config-file=foo.json    JSON config file (repeatable, merged in order).
  -config-dir=dir          Directory of *.json config files (repeatable).
  -disable-compression     Disable message compression for broadcasts.
  -encrypt=key             Base64 key (16, 24 or 32 bytes) encrypting gossip.
  -keyring-file=path       Keyring file (JSON array of base64 keys).
  -event-handler=spec      Script run on events: [filter,...=]script (repeatable).
  -handler-timeout=30s     Kill a member/user event handler after this long.
  -join=addr               Address of an agent to join at start (repeatable).
  -replay                  Replay old user events when joining.
  -retry-join=addr         Address to join in the background until it works (repeatable).
  -retry-interval=30s      Time between retry-join attempts.
  -retry-max=0             Retry-join attempts before exiting (0: no limit).
  -log-level=info          trace, debug, info, warn or err.
  -node=hostname           Name of this node; must be unique in the cluster.
  -profile=lan             Timing profile: lan, wan or local.
  -protocol=5              Serf protocol version (2-5).
  -rejoin                  Ignore a previous leave and rejoin from the snapshot.
  -role=role               Deprecated: sets the 'role' tag.
  -rpc-addr=127.0.0.1:7373 Address of the Serf RPC listener.
  -rpc-auth=token          Token RPC clients must present.
  -snapshot=path           Snapshot file for faster rejoins.
  -tag key=value           Tag of this node (repeatable).
  -tags-file=path          Tags file (read at start, written on tag changes).
  -broadcast-timeout=5s    How long a leave's broadcast may take.
  -placement=workers       workers: each actor in its own thread; inline: one thread.
  -tiering=auto            auto: V8's optimizing compiler stays off while the agent
                           idles; off: V8 optimizes as in any Node process.
  -idle-gc=on              on: a full garbage collection every 10 s while the heap is
                           under 64 MB (an idle agent's heap stays small); off: none.
  -code-cache=path         Where the actors' threads keep V8's compiled code between
                           starts (default ~/.cache/gossamer/code-cache); off: none.
  -metrics-addr=host:port  Serve Prometheus metrics at http://host:port/metrics.
  -ui-addr=ip:port         Serve the live statechart page there (loopback only, unless
                           -ui-allow-remote is given too).
`
