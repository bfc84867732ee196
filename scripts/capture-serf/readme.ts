/** The README.md of test/fixtures/serf, written by scripts/capture-serf-vectors.ts. */
import { CAP_PER_SIGNATURE, MAX_PER_SCENARIO } from './limits.ts'

export function readme(files: Array<Record<string, unknown>>, meta: Record<string, unknown>): string {
  const rows = files.map((f) => {
    const stats = f['stats'] as Record<string, number>
    return `| \`${String(f['scenario'])}.json\` | ${String(f['description'])} | ${stats['kept']} of ${stats['recorded']} | ${String(f['capturedAt'])} |`
  })
  return `# Golden wire vectors from real Serf agents

Captured by \`scripts/capture-serf-vectors.ts\`; regenerate with:

\`\`\`sh
bash scripts/install-deps.sh            # Debian serf
npx tsx scripts/capture-serf-vectors.ts # writes test/fixtures/serf/*.json and this README
\`\`\`

- Last run: ${String(meta['capturedAt'])} (UTC); each file records its own \`capturedAt\` (listed below).
  \`--only a,b\` recaptures some scenarios (\`--only none\`: none); this README is always rebuilt from every JSON file present.
- Serf: Debian package \`serf\` ${String(meta['debian'])}; \`serf version\` prints "${String(meta['cli'])}"
  (upstream never bumped version.go; the agent speaks Serf protocol 5, memberlist protocol 2).
- Host: Linux loopback, Node ${process.version}.

## How

Each scenario starts a fresh cluster of two or three \`serf agent\` processes on 127.0.0.1
(test/support/serf.ts). Agent N binds its own port but is started with \`-advertise 127.0.0.1:R_N\`,
where R_N is N's port on a recording relay (test/support/serf-relay.ts), so every UDP datagram and
TCP stream between agents crosses the relay. UDP is relayed like a symmetric NAT (a datagram from M
to N leaves the relay from M's relay port), so each agent sees its peers at their advertised
addresses. The sender of a datagram is known from its source port (memberlist sends from its bind
socket); the initiator of a TCP stream is found in /proc. The bytes are not modified.

Agents are driven with the serf CLI (\`serf join\`, \`serf event\`, \`serf query\`, \`serf leave\`) or
a signal; each file lists these as \`actions\` with times in ms since the relay started. Agents answer
query \`whoami\` with \`printf "i am %s" "$SERF_SELF_NAME"\` where \`queryHandler\` is set.

Per scenario at most ${CAP_PER_SIGNATURE} vectors per \`signature\` (the chain of type bytes, e.g.
\`udp:crc(user:userEvent)\`, computed shallowly: compressed content is not opened) and at most
${MAX_PER_SCENARIO} in all are kept, in time order. Encrypted scenarios use the published key in \`key\`
(base64 of the bytes 0x00..0x1f); their signatures were computed after AES-GCM decryption.

## Vector fields

\`id\`, \`t\` (ms), \`transport\` (\`udp\`: one datagram; \`tcp\`: everything one side wrote on one
connection), \`from\`/\`to\` (\`agents[].id\`: the node name, except \`b2\`, the second agent named
"b" in \`conflict.json\`; \`client\` is the raw test client of the stream-errors scenarios),
\`conn\` and \`role\` (\`request\` from the initiator, \`reply\` from the acceptor) for TCP,
\`signature\`, \`hex\`. Addresses inside the packets are the advertised (relay) addresses listed under
\`agents[].advertise\`; \`agents[].bind\` is where the agent really listened.

Go writes maps in random order. \`conflict.json\` gives b three tags so that the \`Member.Tags\` map of
the conflict responses shows it; that file was recaptured with \`--only conflict\` until the order
came out unsorted (here \`role, dc, rack\`). The golden test compares such maps semantically when the
bytes differ (an encoder may pick any key order); the codec keeps the decoded order, so today these
vectors match byte for byte as well.

## Files

| file | scenario | vectors kept of recorded | captured at (UTC) |
| --- | --- | --- | --- |
${rows.join('\n')}
`
}

